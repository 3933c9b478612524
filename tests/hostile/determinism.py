#!/usr/bin/env python3
"""Determinism of every shipped guest: the same command with the same inputs must give
byte-identical stdout, stderr (with --trace), --json and --timeline output.

usage: determinism.py PMUEMU HOST.yaml GUEST_DIR WORK_DIR SHARD NSHARDS [--no-insn-trace]

Every *.elf in GUEST_DIR (whatever the build produced, so new guests are covered without
editing this file) whose index in sorted order is SHARD modulo NSHARDS is run twice:
  A. --trace vmm,reset,sysreg --json --timeline, at most MAX_INSNS instructions;
  B. --trace insn, at most INSN_TRACE_INSNS instructions;
and the two runs of each are compared byte for byte. Guests that need more than one
vCPU or a particular placement get the arguments in GUEST_ARGS. A run that ends on the
instruction limit (status 3) is as comparable as any other. --no-insn-trace skips the B
runs (the sanitizer builds use it: there the point is running every guest under the
sanitizer, and Capstone's disassembly at -O0 would double the time).
"""
import os
import subprocess
import sys

MAX_INSNS = 200_000
INSN_TRACE_INSNS = 10_000
TIMEOUT = 300

# Arguments a guest needs to do its work (vCPU counts, placement).
GUEST_ARGS = {
    "smp_psci": ["--vcpus", "4"],
    "sgi": ["--vcpus", "2"],
    "run_uart": ["--vcpus", "2"],
    "reset_demo": ["--vcpus", "2", "--affinity", "1=4", "--pmcr-n", "2"],
    "hostile_psci": ["--vcpus", "2"],
    "hostile_storms": ["--vcpus", "4"],
}
GUEST_PREFIX_ARGS = {"smp_loop": ["--vcpus", "4"]}
# Extra commands for features whose output only appears with options: migrations between
# pCPUs, re-init runs, functional timing.
EXTRA = {
    "migrate_count": [["--affinity", "0=0,4", "--migrate-every", "20000"]],
    "hello": [["--reinit-runs", "2"], ["--timing", "functional"]],
    "reset_demo": [["--vcpus", "2", "--affinity", "0=0-3", "--affinity", "1=4-7", "--migrate-every", "3000"]],
}


def run(cmd, files):
    for f in files:
        if os.path.exists(f):
            os.remove(f)
    p = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    out = {"status": str(p.returncode).encode(), "stdout": p.stdout, "stderr": p.stderr}
    for f in files:
        with open(f, "rb") as fh:
            out[os.path.basename(f).split(".", 1)[1]] = fh.read()
    return out


def first_difference(a: bytes, b: bytes) -> str:
    n = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    return f"{len(a)} vs {len(b)} bytes, first difference at byte {n}: {a[n:n+60]!r} vs {b[n:n+60]!r}"


def main() -> int:
    pmuemu, host, guest_dir, work, shard, nshards = sys.argv[1:7]
    insn_trace = "--no-insn-trace" not in sys.argv[7:]
    shard, nshards = int(shard), int(nshards)
    os.makedirs(work, exist_ok=True)
    elfs = sorted(f for f in os.listdir(guest_dir) if f.endswith(".elf"))
    if len(elfs) < 20:
        print(f"FAIL: only {len(elfs)} guests in {guest_dir}: is the build complete?")
        return 1
    mine = elfs[shard::nshards]
    failures = 0
    for elf in mine:
        name = elf[:-4]
        base = GUEST_ARGS.get(name, next((v for k, v in GUEST_PREFIX_ARGS.items() if name.startswith(k)), []))
        variants = [("", base)] + [(f"+{i}", a) for i, a in enumerate(EXTRA.get(name, []))]
        for tag, args in variants:
            stem = os.path.join(work, f"{name}{tag.replace('+', '_')}")
            files = [stem + ".json", stem + ".timeline"]
            cmd_a = [pmuemu, "run", "--host", host, "--guest", os.path.join(guest_dir, elf), *args,
                     "--max-insns", str(MAX_INSNS), "--trace", "vmm,reset,sysreg",
                     "--json", files[0], "--timeline", files[1]]
            cmd_b = [pmuemu, "run", "--host", host, "--guest", os.path.join(guest_dir, elf), *args,
                     "--max-insns", str(INSN_TRACE_INSNS), "--trace", "insn"]
            try:
                a1, a2 = run(cmd_a, files), run(cmd_a, files)
                b1, b2 = (run(cmd_b, []), run(cmd_b, [])) if insn_trace else ({}, {})
            except subprocess.TimeoutExpired as e:
                print(f"FAIL {name}{tag}: no outcome after {TIMEOUT} s: {' '.join(e.cmd)}")
                failures += 1
                continue
            bad = [f"{k}: {first_difference(a1[k], a2[k])}" for k in a1 if a1[k] != a2[k]]
            bad += [f"insn trace {k}: {first_difference(b1[k], b2[k])}" for k in b1 if b1[k] != b2[k]]
            if not a1["json"] or not a1["timeline"]:
                bad.append("empty --json or --timeline file")
            if bad:
                failures += 1
                print(f"FAIL {name}{tag} {' '.join(args)}")
                for x in bad:
                    print("  " + x)
            else:
                print(f"ok {name}{tag} {' '.join(args)}: status {a1['status'].decode()}, json {len(a1['json'])} B, "
                      f"timeline {len(a1['timeline'])} B, trace {len(a1['stderr'])} B, insn trace {len(b1.get('stderr', b''))} B")
    print(f"{len(mine)} of {len(elfs)} guests (shard {shard} of {nshards}), {failures} not deterministic")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
