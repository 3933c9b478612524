#!/usr/bin/env python3
"""`pmuemu snapshot show` and `snapshot diff` (docs/cli.md) against an independent source: the
run's own --json, written at the same instant as the snapshot (--save ... --json), reads the
PMU registers through KVM_GET_ONE_REG; the snapshot holds them through KVM_GET_REG_LIST. Both
must agree register by register, and `diff` must report exactly the registers whose values
differ between two snapshots' --json.

usage: snapshot_tools.py PMUEMU SOURCE_DIR GUEST_DIR WORK_DIR --list | --case NAME
"""
import json
import os
import re
import subprocess
import sys

PMUEMU, SRC, GUESTS, WORK = sys.argv[1:5]
HOST = os.path.join(SRC, "configs/big-little.yaml")
GUEST = os.path.join(GUESTS, "pmu_mixed_quick.elf")
CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def run(*args, timeout=300):
    p = subprocess.run([PMUEMU, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def saved(name, insns, extra=()):
    """A snapshot after `insns` instructions and the run's --json at that point."""
    d = os.path.join(WORK, name)
    os.makedirs(d, exist_ok=True)
    snap, js = os.path.join(d, "vm.snap"), os.path.join(d, "run.json")
    rc, _, err = run("run", "--host", HOST, "--guest", GUEST, "--save", snap, "--stop-after-insns", str(insns),
                     "--json", js, *extra)
    check(rc == 0, f"--save: {rc} {err!r}")
    return snap, json.load(open(js))


def show_json(snap):
    rc, out, err = run("snapshot", "show", snap, "--json")
    check(rc == 0 and err == "", f"snapshot show --json: {rc} {err!r}")
    return json.loads(out)


@case
def show_agrees_with_run_json():
    snap, doc = saved("show", 2_000_000, ["--vcpus", "2", "--kvm", "6.16"])
    s = show_json(snap)
    check(s["format"] == "pmuemu-snapshot" and s["version"] == 1, "format and version")
    check(s["kvm_era"] == "6.16" and s["source_host"] == doc["host"], f"era/host: {s['kvm_era']} {s['source_host']}")
    check(len(s["vcpus"]) == len(doc["vcpus"]) == 2, "two vCPUs")
    check(s["instructions"] == sum(v["instructions"] for v in doc["vcpus"]), "instructions")
    for sv, rv in zip(s["vcpus"], doc["vcpus"]):
        check(sv["pmu_registers"] == rv["registers"], f"vCPU {sv['id']}: PMU registers differ:\n{sv['pmu_registers']}\n"
              f"{rv['registers']}")
        check(sv["pmcr_n"] == (int(rv["registers"]["PMCR_EL0"], 16) >> 11) & 31, "PMCR_EL0.N")
        check(sv["registers"]["PC"] == rv["pc"], f"PC {sv['registers']['PC']} vs {rv['pc']}")
        for r in ("X0", "X30", "SP", "PSTATE", "SCTLR_EL1", "VBAR_EL1", "CNTV_CTL_EL0"):
            check(r in sv["registers"], f"register {r} is named")
    check(s["vgic"]["spis"] == 32 and len(s["vgic"]["redistributors"]) == 2, "vGIC shape")
    check(s["memory"]["size"] == 128 << 20 and s["memory"]["nonzero_pages"] > 0, "memory")
    # The text form names every PMU register with its value.
    rc, text, _ = run("snapshot", "show", snap)
    check(rc == 0, "snapshot show")
    for sv in s["vcpus"]:
        for name, value in sv["pmu_registers"].items():
            check(re.search(rf"^    {name} +0x0*{value[2:]}$", text, re.M), f"text shows {name} = {value}")
        check(f"PMCR_EL0.N = {sv['pmcr_n']} " in text, "text shows N")
    check(text.startswith(f"snapshot {snap} (format version {s['snapshot_version']})\n  KVM era          6.16\n"), text[:120])


@case
def diff_reports_exactly_the_changes():
    a, ja = saved("diff_a", 1_000_000)
    b, jb = saved("diff_b", 3_000_000)
    rc, out, err = run("snapshot", "diff", a, a)
    check(rc == 0 and out == "" and err == "", f"diff A A: {rc} {out!r}")
    rc, out, err = run("snapshot", "diff", a, b)
    check(rc == 1 and err == "", f"diff A B exits 1: {rc} {err!r}")
    lines = out.splitlines()
    sa, sb = show_json(a), show_json(b)
    check(f"instructions: {sa['instructions']} -> {sb['instructions']}" in lines, f"instructions line: {lines[:3]}")
    # Every register line agrees with the two shows, and every differing register has a line.
    want = set()
    for va, vb in zip(sa["vcpus"], sb["vcpus"]):
        for group in ("registers", "pmu_registers"):
            for name, x in va[group].items():
                if vb[group].get(name) != x:
                    want.add(f"vCPU {va['id']} {name}: {x} -> {vb[group][name]}")
    got = {l for l in lines if l.startswith("vCPU ") and "state:" not in l}
    check(got == want, f"register lines:\n only in diff {sorted(got - want)}\n missing {sorted(want - got)}")
    check(any(l.startswith("vCPU 0 PMEVCNTR") or l.startswith("vCPU 0 PMCCNTR") for l in lines),
          "the counters moved between the two points")
    # Another guest's snapshot: its code pages differ.
    d = os.path.join(WORK, "diff_c")
    os.makedirs(d, exist_ok=True)
    c = os.path.join(d, "vm.snap")
    rc, _, err = run("run", "--host", HOST, "--guest", os.path.join(GUESTS, "hello.elf"), "--save", c,
                     "--stop-after-insns", "10")
    check(rc == 0, f"hello --save: {err!r}")
    rc, out, _ = run("snapshot", "diff", a, c)
    mem = [l for l in out.splitlines() if l.startswith("memory: ")]
    check(rc == 1 and len(mem) == 1 and re.match(r"memory: \d+ of 32768 pages differ: 0x4[0-9a-f]+-0x4[0-9a-f]+fff", mem[0]),
          f"memory line: {mem}")


@case
def bad_files():
    d = os.path.join(WORK, "bad")
    os.makedirs(d, exist_ok=True)
    junk = os.path.join(d, "junk.snap")
    open(junk, "wb").write(b"not a snapshot at all")
    rc, out, err = run("snapshot", "show", junk)
    check(rc == 65 and out == "" and err.startswith(f"pmuemu: error: {junk}: ") and err.count("\n") == 1,
          f"junk: {rc} {err!r}")
    rc, out, err = run("snapshot", "diff", junk, os.path.join(d, "missing.snap"))
    check(rc == 65 and out == "", f"diff of bad files: {rc} {err!r}")


def main():
    if sys.argv[5] == "--list":
        print(";".join(CASES))
        return 0
    name = sys.argv[6]
    os.makedirs(WORK, exist_ok=True)
    try:
        CASES[name]()
    except AssertionError as e:
        print(f"FAIL {name}: {e}")
        return 1
    print(f"ok {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
