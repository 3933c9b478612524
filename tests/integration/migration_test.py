#!/usr/bin/env python3
"""End-to-end migration: pmuemu run --save on one host, --restore on another.

usage: migration_test.py PMUEMU CONFIG_DIR GUEST_ELF WORKDIR SCENARIO
Each scenario runs the migrate_count guest (it counts INST_RETIRED across the migration)
and checks exit statuses and output. Exit 0 when the scenario holds.
"""
import os
import subprocess
import sys

PMUEMU, CFG, GUEST, WORK, SCENARIO = sys.argv[1:6]
STOP = "5000000"


def run(*args, expect):
    p = subprocess.run([PMUEMU, "run", *args], capture_output=True, text=True, timeout=120)
    if p.returncode != expect:
        print(f"FAIL: {' '.join(args)}: exit {p.returncode}, expected {expect}")
        print("stdout:", p.stdout, "stderr:", p.stderr, sep="\n")
        sys.exit(1)
    return p


def host(name):
    return os.path.join(CFG, name + ".yaml")


def save(src, era, snap, *extra):
    p = run("--host", host(src), "--guest", GUEST, "--kvm", era, "--save", snap, "--stop-after-insns", STOP,
            *extra, expect=0)
    if "snapshot written" not in p.stderr:
        print("FAIL: no 'snapshot written' message:", p.stderr)
        sys.exit(1)
    return p


def expect_in(text, what):
    if what not in text:
        print(f"FAIL: expected {what!r} in:\n{text}")
        sys.exit(1)


def continues(src, dst, era, n_end, src_extra=(), dst_extra=()):
    snap = os.path.join(WORK, f"{SCENARIO}.snap")
    p = save(src, era, snap, *src_extra)
    p = run("--host", host(dst), "--restore", snap, *dst_extra, expect=0)
    expect_in(p.stdout, f"end: PMCR_EL0.N = {n_end}, counter 0 continued across the migration: yes")


def refused(src, dst, era, src_extra=(), dst_extra=()):
    snap = os.path.join(WORK, f"{SCENARIO}.snap")
    save(src, era, snap, *src_extra)
    p = run("--host", host(dst), "--restore", snap, *dst_extra, expect=6)
    expect_in(p.stderr, "pmuemu: error: restore refused: the snapshot's PMCR_EL0.N is 6 but the destination kept N = 4")
    if p.stdout:
        print("FAIL: a refused restore ran guest code:", p.stdout)
        sys.exit(1)


# vCPU 0 and the VMM thread on the big cluster, so the VM's PMU is the 6-counter one in every
# era (6.6 picks the default PMU on the VMM thread's pCPU, 6.7 on the vCPU's).
BIG = ("--affinity", "0=4", "--vmm-cpu", "4")

SCENARIOS = {
    # 6.7: N is VM state; a destination with fewer counters keeps its own N, the VMM refuses.
    "6.7_big_to_fewer_refused": lambda: refused("big-little", "small-4ctr", "6.7", BIG),
    "6.7_fewer_to_big_keeps_4": lambda: continues("small-4ctr", "big-little", "6.7", 4, (), BIG),
    "6.7_same_counters_continues": lambda: continues("server-n1", "phone-3cluster", "6.7", 6),
    # 6.6: PMCR is stored raw, so the destination accepts any N (even above its hardware).
    "6.6_big_to_fewer_accepted_raw": lambda: continues("big-little", "small-4ctr", "6.6", 6, BIG),
    "6.6_fewer_to_big_keeps_4_raw": lambda: continues("small-4ctr", "big-little", "6.6", 4, (), BIG),
}


def corrupted():
    snap = os.path.join(WORK, "corrupt.snap")
    save("server-n1", "6.7", snap)
    data = bytearray(open(snap, "rb").read())
    cases = {
        "flipped": data[:100] + bytes([data[100] ^ 1]) + data[101:],
        "truncated": data[: len(data) // 2],
        "magic": b"NOTASNAP" + data[8:],
        "empty": b"",
    }
    for name, blob in cases.items():
        bad = os.path.join(WORK, f"corrupt-{name}.snap")
        open(bad, "wb").write(blob)
        p = run("--host", host("server-n1"), "--restore", bad, expect=65)
        expect_in(p.stderr, f"pmuemu: error: {bad}: ")
        if p.stdout:
            print("FAIL: a refused snapshot ran guest code:", p.stdout)
            sys.exit(1)
    run("--host", host("server-n1"), "--restore", os.path.join(WORK, "no-such.snap"), expect=65)


def deterministic():
    a, b = os.path.join(WORK, "det-a.snap"), os.path.join(WORK, "det-b.snap")
    save("big-little", "6.7", a)
    save("big-little", "6.7", b)
    if open(a, "rb").read() != open(b, "rb").read():
        print("FAIL: two saves of the same run differ")
        sys.exit(1)


SCENARIOS["corrupted_snapshots_refused"] = corrupted
SCENARIOS["save_is_deterministic"] = deterministic

os.makedirs(WORK, exist_ok=True)
SCENARIOS[SCENARIO]()
print(f"ok: {SCENARIO}")
