#!/usr/bin/env python3
"""--json `cycles` (docs/json-output.md) is the timing model's cycles: with cycle timing, the
sum over vCPUs equals the CPU_CYCLES the pCPUs' cores produced (each pCPU runs one vCPU at a
time, so every core cycle belongs to one vCPU's quantum); with functional timing it equals
the instructions. Both on a 1-vCPU and a migrating 2-vCPU run.

usage: json_cycles.py PMUEMU SOURCE_DIR GUEST_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

PMUEMU, SRC, GUESTS, WORK = sys.argv[1:5]
HOST = os.path.join(SRC, "configs/big-little.yaml")


def run(name, guest, *extra):
    os.makedirs(WORK, exist_ok=True)
    js = os.path.join(WORK, name + ".json")
    p = subprocess.run([PMUEMU, "run", "--host", HOST, "--guest", os.path.join(GUESTS, guest), "--json", js, *extra],
                       capture_output=True, text=True, timeout=300)
    d = json.load(open(js))
    if d["exit"]["reason"] not in ("guest-exit", "system-off") or d["exit"]["status"] != p.returncode:
        sys.exit(f"FAIL: {name}: exit {p.returncode} {d['exit']} {p.stderr}")
    return d


def main():
    for name, guest, extra in (("sort", "sort.elf", []),
                               ("smp_migrating", "smp_loop_quick.elf", ["--vcpus", "2", "--affinity", "0=0,4",
                                                                       "--affinity", "1=1,5", "--migrate-every",
                                                                       "100000"])):
        d = run(name, guest, *extra)
        cycles = sum(v["cycles"] for v in d["vcpus"])
        insns = sum(v["instructions"] for v in d["vcpus"])
        core = sum(p["pmu_totals"].get("CPU_CYCLES", 0) for p in d["pcpus"])
        if not (cycles == core and cycles != insns and cycles > 0):
            sys.exit(f"FAIL: {name}: vCPU cycles {cycles}, core CPU_CYCLES {core}, instructions {insns}")
        f = run(name + "_functional", guest, "--timing", "functional", *extra)
        for v in f["vcpus"]:
            if v["cycles"] != v["instructions"]:
                sys.exit(f"FAIL: {name} functional: vCPU {v['id']} cycles {v['cycles']} != {v['instructions']}")
        print(f"ok {name}: {cycles} cycles for {insns} instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
