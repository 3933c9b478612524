#!/usr/bin/env python3
"""bench/run's difference method (docs/performance.md): a measured run whose time difference
is within the noise of its start-up reference is left out of the figures and the case says
so, instead of reporting an absurd rate. The runs are scripted (no emulator runs): Runner's
`timed` is replaced by a sequence of (small, large) times.

usage: bench_noise_test.py SOURCE_DIR
"""
import importlib.machinery
import importlib.util
import os
import sys
import types

SRC = sys.argv[1]
loader = importlib.machinery.SourceFileLoader("bench_run", os.path.join(SRC, "bench/run"))
spec = importlib.util.spec_from_loader("bench_run", loader)
bench = importlib.util.module_from_spec(spec)
loader.exec_module(bench)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def scripted(times, runs):
    args = types.SimpleNamespace(runs=runs, clock="wall", build_dir="/nonexistent", host="h.yaml", quick=True)
    r = bench.Runner(args)
    seq = iter(times)

    def timed(cmd, ok_status=(0,), clock=None):
        r.last_cores = 1.0
        return next(seq), "", "", 0
    r.timed = timed
    return r


def pairs(*p):
    return [t for pair in p for t in pair]


# 1. Clear differences: every run counts, no note.
r = scripted(pairs((0.100, 1.100), (0.101, 1.101), (0.099, 1.099), (0.100, 1.100)), runs=3)
rates = r.rate_runs(lambda e: ["/x/pmuemu", e], "small.elf", "large.elf", 0, 1_000_000_000)
if len(rates) != 3 or any(abs(x - 1e9) > 1e7 for x in rates) or r.pending_notes:
    fail(f"clean runs: {rates} {r.pending_notes}")

# 2. One run barely outlasts its reference (the 46.7 million MIPS kind): left out, and said.
r = scripted(pairs((0.100, 1.100), (0.101, 1.101), (0.100, 0.1005), (0.102, 1.102)), runs=3)
rates = r.rate_runs(lambda e: ["/x/qemu-system-aarch64", e], "small.elf", "large.elf", 0, 1_000_000_000)
if len(rates) != 2 or max(rates) > 2e9:
    fail(f"the noisy run is left out: {rates}")
if len(r.pending_notes) != 1 or not r.pending_notes[0].startswith(
        "qemu-system-aarch64 large.elf: 1 of 3 runs left out of the figures: time difference 0.0005 s within the "
        "noise of the start-up reference"):
    fail(f"the note: {r.pending_notes}")

# 3. A large run shorter than its reference: left out, not a negative rate and not a crash.
r = scripted(pairs((0.100, 1.1), (0.100, 0.090), (0.100, 1.1)), runs=2)
rates = r.rate_runs(lambda e: ["pmuemu", e], "s", "l", 0, 10)
if len(rates) != 1 or rates[0] <= 0:
    fail(f"negative difference: {rates}")

# 4. Every run within the noise: no figure at all, and the case says so.
r = scripted(pairs((0.100, 0.101), (0.100, 0.101), (0.100, 0.1002)), runs=2)
rates = r.rate_runs(lambda e: ["pmuemu", e], "s", "l", 0, 10)
c = bench.Case(2, "t")
row = c.add("intloop pmuemu functional", "MIPS", "MIPS", [x / 1e6 for x in rates])
if rates or row is not None or not c.notes or "no MIPS figure" not in c.notes[0] or c.rows:
    fail(f"all noise: {rates} {row} {c.notes}")
if c.ratio("x", row, None) is not None:
    fail("a ratio of a missing row is no ratio")

# 5. The threshold follows the reference's own spread: a jittery reference needs a larger gap.
kept, note = bench.noise_filter([(0.10, 0.10, False), (0.20, 0.38, True), (0.10, 0.45, True)], 0, 1, "w")
if len(kept) != 1 or "1 of 2 runs" not in note:
    fail(f"spread-based threshold: {kept} {note!r}")
print("ok")
