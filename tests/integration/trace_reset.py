#!/usr/bin/env python3
"""--trace reset and --trace reset-summary (docs/cli.md): every step line names its register
and prints 0x-prefixed 16-digit values (zero included); the summary has one line per reset
per vCPU whose step and change counts are those of the full trace; the values the trace
leaves in the PMU registers are the ones a snapshot taken right after boot holds.

usage: trace_reset.py PMUEMU SOURCE_DIR GUEST_DIR WORK_DIR
"""
import json
import os
import re
import subprocess
import sys

PMUEMU, SRC, GUESTS, WORK = sys.argv[1:5]
HOST = os.path.join(SRC, "configs/big-little.yaml")
STEP = re.compile(r"^reset:   (.+?) +(\S+) +(0x[0-9a-f]{16}) -> (0x[0-9a-f]{16})$")
HEAD = re.compile(r"^reset: vCPU (\d+) on pCPU (\d+) \(([^)]*)\), era (\S+)$")
SUMMARY = re.compile(r"^reset: vCPU (\d+) on pCPU (\d+) \(([^)]*)\), era (\S+): (\d+) steps, (\d+) values changed"
                     r"(, PMCR_EL0 (0x[0-9a-f]{16}))?$")


def fail(what):
    print("FAIL: " + what)
    sys.exit(1)


def trace(kind, guest, *extra):
    p = subprocess.run([PMUEMU, "run", "--host", HOST, "--guest", os.path.join(GUESTS, guest), "--trace", kind,
                        *extra], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        fail(f"--trace {kind}: exit {p.returncode}: {p.stderr[-300:]}")
    return p.stderr.splitlines()


def main():
    os.makedirs(WORK, exist_ok=True)
    full = trace("reset", "reset_count.elf", "--vcpus", "2")
    resets, cur = [], None
    for line in full:
        if m := HEAD.match(line):
            cur = {"head": m.groups(), "steps": []}
            resets.append(cur)
        elif m := STEP.match(line):
            cur["steps"].append(m.groups())
        else:
            fail(f"a --trace reset line neither a reset nor a step with a name and 0x values: {line!r}")
    if len(resets) < 4:
        fail(f"reset_count with 2 vCPUs resets at least 4 times, traced {len(resets)}")
    summary = trace("reset-summary", "reset_count.elf", "--vcpus", "2")
    if len(summary) != len(resets):
        fail(f"{len(summary)} summary lines for {len(resets)} resets")
    for line, r in zip(summary, resets):
        m = SUMMARY.match(line)
        if not m:
            fail(f"summary line: {line!r}")
        if m.groups()[:4] != r["head"]:
            fail(f"summary {m.groups()[:4]} is not the reset {r['head']}")
        changed = sum(1 for s in r["steps"] if s[2] != s[3])
        if int(m.group(5)) != len(r["steps"]) or int(m.group(6)) != changed:
            fail(f"{line!r}: the full trace has {len(r['steps'])} steps, {changed} changed")
        pmcr = [s[3] for s in r["steps"] if s[1] == "PMCR_EL0"]
        if (m.group(8) or None) != (pmcr[-1] if pmcr else None):
            fail(f"{line!r}: PMCR_EL0 after the reset is {pmcr}")
    # The values left by the boot reset are what KVM_GET_ONE_REG reads right after it.
    snap = os.path.join(WORK, "boot.snap")
    steps = [s for r in trace("reset", "hello.elf", "--save", snap, "--stop-after-insns", "0")
             for s in ([STEP.match(r).groups()] if STEP.match(r) else [])]
    p = subprocess.run([PMUEMU, "snapshot", "show", snap, "--json"], capture_output=True, text=True, timeout=60)
    regs = json.loads(p.stdout)["vcpus"][0]["pmu_registers"]
    compared = 0
    for _, name, _, after in steps:
        # PMCR_EL0 reads back with N filled in by the VM's counter count (get_user), not as stored.
        if name in regs and name != "PMCR_EL0":
            if int(regs[name], 16) != int(after, 16):
                fail(f"{name}: trace leaves {after}, KVM_GET_ONE_REG reads {regs[name]}")
            compared += 1
    if compared < 20:
        fail(f"only {compared} registers compared")
    print(f"ok: {len(resets)} resets, {compared} registers agree with the snapshot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
