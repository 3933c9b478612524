#!/usr/bin/env python3
"""What a snapshot fixes on restore: its KVM era (another --kvm era is refused, exit 6, unless
--allow-era-change) and the VM configuration (--vcpus, --pmcr-n, ... are usage errors, 64).

usage: restore_rules.py PMUEMU CONFIG_DIR GUEST_ELF WORKDIR SCENARIO
The guest is migrate_count: it prints PMCR_EL0.N at the start and, after a restore, whether
counter 0 kept counting across the migration. Exit 0 when the scenario holds.
"""
import json
import os
import struct
import subprocess
import sys

PMUEMU, CFG, GUEST, WORK, SCENARIO = sys.argv[1:6]
STOP = "200000"
# vCPU 0 and the VMM thread on big-little's big cluster: the VM's PMU has 6 counters in every era.
BIG = ("--affinity", "0=4", "--vmm-cpu", "4")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def pmuemu(*args):
    return subprocess.run([PMUEMU, *args], capture_output=True, text=True, timeout=120)


def run(*args, expect):
    p = pmuemu("run", *args)
    if p.returncode != expect:
        fail(f"run {' '.join(args)}: exit {p.returncode}, expected {expect}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def host(name):
    return os.path.join(CFG, name + ".yaml")


def save(era, name, *extra, src="big-little"):
    snap = os.path.join(WORK, name)
    run("--host", host(src), "--guest", GUEST, "--kvm", era, "--save", snap, "--stop-after-insns", STOP, *extra,
        expect=0)
    return snap


def refused_before_guest(p, message):
    if p.stderr != "pmuemu: error: " + message + "\n":
        fail(f"stderr {p.stderr!r}, expected the one line {message!r}")
    if p.stdout:
        fail("a refused restore ran guest code: " + p.stdout)


def continued(p, n):
    want = f"end: PMCR_EL0.N = {n}, counter 0 continued across the migration: yes"
    if want not in p.stdout:
        fail(f"expected {want!r} in:\n{p.stdout}")


def era_of(snap):
    p = pmuemu("snapshot", "show", snap)
    if p.returncode != 0:
        fail(f"snapshot show {snap}: exit {p.returncode}: {p.stderr}")
    for line in p.stdout.splitlines():
        if line.startswith("  KVM era"):
            return line.split()[2]
    fail("snapshot show prints no KVM era:\n" + p.stdout)


def rewrite_era(snap, era, out):
    """The same snapshot with another era string and a valid checksum (the layout of docs/snapshot.md)."""
    data = open(snap, "rb").read()[:-8]
    pos = 12
    (n,) = struct.unpack_from("<I", data, pos)
    pos += 4 + n  # source host
    (n,) = struct.unpack_from("<I", data, pos)
    body = data[:pos] + struct.pack("<I", len(era)) + era.encode() + data[pos + 4 + n:]
    h = 0xCBF29CE484222325
    for b in body:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    open(out, "wb").write(body + struct.pack("<Q", h))
    return out


def era_change_refused():
    # The destination has 4 counters: under 6.7 rules the VMM would refuse N = 6 (exit 6 for that
    # reason); here the era check comes first and names both eras.
    snap = save("6.7", "era67.snap", *BIG)
    if era_of(snap) != "6.7":
        fail("the snapshot does not record era 6.7")
    for dst_era, dst in (("6.6", "small-4ctr"), ("6.16", "big-little"), ("v5", "server-n1")):
        p = run("--host", host(dst), "--restore", snap, "--kvm", dst_era, expect=6)
        refused_before_guest(p, f"restore refused: {snap} was taken under KVM era 6.7, --kvm asks for era {dst_era} "
                                "(the vPMU rules differ; --allow-era-change restores it anyway)")
    # --json is still written, with the refusal.
    j = os.path.join(WORK, "refused.json")
    run("--host", host("small-4ctr"), "--restore", snap, "--kvm", "6.6", "--json", j, expect=6)
    ex = json.load(open(j))["exit"]
    if ex["status"] != 6 or ex["reason"] != "migration-refused" or "taken under KVM era 6.7" not in ex["message"]:
        fail(f"the --json of a refused restore: {ex}")


def era_change_allowed():
    # With the override the restore really runs under the other era's rules: 6.6 stores PMCR_EL0
    # raw, so N = 6 survives on the 4-counter host, where 6.7 (the snapshot's era) refuses it.
    snap = save("6.7", "era67.snap", *BIG)
    p = run("--host", host("small-4ctr"), "--restore", snap, expect=6)
    if "the snapshot's PMCR_EL0.N is 6 but the destination kept N = 4" not in p.stderr:
        fail("without --kvm the snapshot's era 6.7 should refuse N = 6 on small-4ctr: " + p.stderr)
    p = run("--host", host("small-4ctr"), "--restore", snap, "--kvm", "6.6", "--allow-era-change", expect=0)
    continued(p, 6)
    # The same era named again needs no override.
    p = run("--host", host("big-little"), "--restore", snap, "--kvm", "6.7", *BIG, expect=0)
    continued(p, 6)


def era_names_canonical():
    # "newest" is recorded by the era it names, so it restores under that era's name and refuses another.
    snap = save("newest", "newest.snap")
    era = era_of(snap)
    if era in ("newest", ""):
        fail("the snapshot records 'newest' instead of the era's name")
    run("--host", host("big-little"), "--restore", snap, "--kvm", era, expect=0)
    run("--host", host("big-little"), "--restore", snap, "--kvm", "newest", expect=0)
    other = "6.6" if era != "6.6" else "6.7"
    run("--host", host("big-little"), "--restore", snap, "--kvm", other, expect=6)


def era_old_newest_file():
    # Files from builds that wrote "newest" meant 6.16 (the newest era of every such build).
    old = rewrite_era(save("6.16", "e616.snap"), "newest", os.path.join(WORK, "old-newest.snap"))
    if era_of(old) != "6.16":
        fail("a snapshot recording 'newest' is not read as era 6.16")
    run("--host", host("big-little"), "--restore", old, "--kvm", "6.16", expect=0)
    p = run("--host", host("big-little"), "--restore", old, "--kvm", "6.7", expect=6)
    if "taken under KVM era 6.16, --kvm asks for era 6.7" not in p.stderr:
        fail("refusal of an old 'newest' file: " + p.stderr)


def era_unknown_refused():
    # A file naming an era this build does not model: shown as recorded, refused on restore (65).
    bad = rewrite_era(save("6.7", "e67.snap"), "9.9-future", os.path.join(WORK, "future.snap"))
    shown = pmuemu("snapshot", "show", bad).stdout
    if era_of(bad) != "9.9-future" or "(not modelled by this pmuemu: --restore refuses it)" not in shown:
        fail("snapshot show does not print the recorded era, marked as not modelled")
    for extra in ((), ("--kvm", "6.7"), ("--kvm", "6.7", "--allow-era-change")):
        p = run("--host", host("big-little"), "--restore", bad, *extra, expect=65)
        if p.stderr != (f"pmuemu: error: {bad}: the snapshot was taken under KVM era '9.9-future', "
                                   "which this pmuemu does not model (pmuemu --version lists the eras it models)\n"):
            fail("unknown era: " + p.stderr)
        if p.stdout or p.stderr.count("\n") != 1:
            fail("unknown era: not one line before any guest code")


def as_version_1(snap, out):
    """The snapshot in format version 1: every register value 8 bytes, no register of another
    size (V0-V31, FPSR, FPCR), which is what builds without SIMD&FP wrote."""
    data = open(snap, "rb").read()[:-8]
    pos = 12
    for _ in range(3):
        (n,) = struct.unpack_from("<I", data, pos)
        pos += 4 + n
    pos += 1 + 4 + 4 + 8 + 8 + 8 + 4
    (ncpus,) = struct.unpack_from("<I", data, pos)
    body, pos = bytearray(data[:8] + struct.pack("<I", 1) + data[12:pos + 4]), pos + 4
    for _ in range(ncpus):
        cid, mp, nregs = struct.unpack_from("<III", data, pos)
        pos += 12
        regs = []
        for _ in range(nregs):
            (rid,) = struct.unpack_from("<Q", data, pos)
            size = 1 << ((rid >> 52) & 0xF)  # KVM_REG_SIZE
            value = data[pos + 8:pos + 8 + size]
            pos += 8 + size
            if size == 8:
                regs.append(struct.pack("<Q", rid) + value)
        body += struct.pack("<III", cid, mp, len(regs)) + b"".join(regs)
    body += data[pos:]
    h = 0xCBF29CE484222325
    for b in body:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    open(out, "wb").write(bytes(body) + struct.pack("<Q", h))
    return out


def show_reports_file_version():
    # snapshot show prints the version of the file it read, not the one this build writes.
    snap = save("6.7", "v2.snap", *BIG)
    old = as_version_1(snap, os.path.join(WORK, "v1.snap"))
    for path, version in ((snap, 2), (old, 1)):
        text = pmuemu("snapshot", "show", path).stdout
        if not text.startswith(f"snapshot {path} (format version {version})\n  KVM era          6.7\n"):
            fail(f"snapshot show of a version {version} file:\n{text[:200]}")
        doc = json.loads(pmuemu("snapshot", "show", path, "--json").stdout)
        if doc["snapshot_version"] != version or doc["kvm_era"] != "6.7":
            fail(f"snapshot show --json of a version {version} file: {doc['snapshot_version']} {doc['kvm_era']}")
    # The version 1 file restores, under its era, and the guest goes on.
    continued(run("--host", host("big-little"), "--restore", old, *BIG, expect=0), 6)
    run("--host", host("big-little"), "--restore", old, "--kvm", "6.6", expect=6)


FIXED = {
    "vcpus": ("2", "the number of vCPUs"),
    "pmcr-n": ("4", "PMCR_EL0.N"),
    "nr-counters": ("4", "the number of counters"),
    "no-pmu": (None, "whether the vCPUs have a PMU"),
    "ram-mib": ("64", "the guest RAM size"),
    "memory": ("64M", "the guest RAM size"),
    "arg": ("1", "the vCPUs' registers"),
}


def fixed_options_refused():
    snap = save("6.7", "fixed.snap", "--vcpus", "2")
    for opt, (value, what) in FIXED.items():
        args = ("--" + opt,) + ((value,) if value is not None else ())
        p = run("--host", host("big-little"), "--restore", snap, *args, expect=64)
        want = f"pmuemu: error: --{opt} is not valid with --restore: the snapshot fixes {what}"
        if not p.stderr.startswith(want) or p.stderr.count("\n") != 1 or p.stdout:
            fail(f"--{opt}: {p.stderr!r}, expected one line starting {want!r}")
    # --pmu, --affinity and --vmm-cpu are the destination VMM's choices: accepted, and --affinity is
    # checked against the snapshot's vCPU count (2), not the default of 1.
    run("--host", host("big-little"), "--restore", snap, "--affinity", "0=4", "--affinity", "1=5", "--vmm-cpu", "4",
        "--pmu", "cortex-a76", expect=0)
    p = run("--host", host("big-little"), "--restore", snap, "--affinity", "2=5", expect=64)
    if p.stderr != f"pmuemu: error: --affinity: vCPU 2 does not exist (the snapshot {snap} has 2 vCPUs)\n":
        fail("--affinity beyond the snapshot's vCPUs: " + p.stderr)
    # --pmu chooses the destination's PMU of a VM that has one; a VM saved without a PMU has none to choose.
    nopmu = os.path.join(WORK, "nopmu.snap")  # spin.elf: migrate_count needs a PMU
    run("--host", host("big-little"), "--guest", os.path.join(os.path.dirname(GUEST), "spin.elf"), "--no-pmu",
        "--save", nopmu, "--stop-after-insns", "1000", expect=0)
    p = run("--host", host("big-little"), "--restore", nopmu, "--pmu", "cortex-a76", expect=64)
    if p.stderr != f"pmuemu: error: --pmu is not valid with --restore of {nopmu}: its VM was created without a PMU " \
                   "(--no-pmu)\n" or p.stdout:
        fail("--pmu with a snapshot without a PMU: " + p.stderr)
    p = run("--host", host("big-little"), "--guest", GUEST, "--allow-era-change", expect=64)
    if p.stderr != "pmuemu: error: --allow-era-change goes with --restore SNAP\n":
        fail("--allow-era-change without --restore: " + p.stderr)


SCENARIOS = {f.__name__: f for f in (era_change_refused, era_change_allowed, era_names_canonical, era_old_newest_file,
                                     era_unknown_refused, fixed_options_refused, show_reports_file_version)}
os.makedirs(WORK, exist_ok=True)
SCENARIOS[SCENARIO]()
print(f"ok: {SCENARIO}")
