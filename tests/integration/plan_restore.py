#!/usr/bin/env python3
"""`pmuemu plan --kvm ERA` against what a save and restore under that era actually do.

usage: plan_restore.py PMUEMU SOURCE_DIR GUEST_ELF WORKDIR ERA N
       plan_restore.py PMUEMU --eras ERA...   (the eras given are exactly those pmuemu --version lists)

For each kind of cell plan prints for N (per destination, first source in row order), the
migrate_count guest is saved on the source with N counters and restored on the destination
under ERA, and the outcome must be the cell's: ok (restored and N kept with the VMM and the
vCPU on every cluster), pmu (kept with the --pmu plan names), raw (accepted as saved), no
(refused by the VMM's N check, exit 6), einval (KVM refused PMCR_EL0, exit 5), refused (KVM
builds no such VM, exit 5), no-vpmu (the destination offers no vPMU, exit 5). A cell kind the script does not know fails the test.
"""
import os
import re
import subprocess
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def pmuemu(*args):
    return subprocess.run([PMUEMU, *args], capture_output=True, text=True, timeout=120)


if sys.argv[2] == "--eras":
    PMUEMU = sys.argv[1]
    listed = re.findall(r"^  (\S+) ", pmuemu("--version").stdout, re.M)
    if sorted(listed) != sorted(sys.argv[3:]):
        fail(f"pmuemu --version lists the eras {listed}, the plan_restore tests cover {sys.argv[3:]}: "
             "add the new era to the list in tests/integration/CMakeLists.txt")
    print(f"ok: plan_restore covers every era: {' '.join(listed)}")
    sys.exit(0)

PMUEMU, SRC, GUEST, WORK, ERA, N = sys.argv[1:7]
HOSTS = {"big-little": "configs/big-little.yaml", "server-n1": "configs/server-n1.yaml",
         "small-4ctr": "configs/small-4ctr.yaml", "mixed-pmu": "tests/data/configs/mixed-pmu.yaml"}
HOSTS = {k: os.path.join(SRC, v) for k, v in HOSTS.items()}
FAST = ("--timing", "functional")


CLUSTERS = {}


def clusters(name):
    """[(first pCPU, core, counters)] from `host show`."""
    if name in CLUSTERS:
        return CLUSTERS[name]
    out = pmuemu("host", "show", HOSTS[name]).stdout
    cl = re.findall(r"^  \d+: \d+ x (\S+), pCPUs? (\d+)(?:-\d+)?, PMUv\S+ N=(\d+)", out, re.M)
    if not cl:
        fail(f"host show {name}: no clusters in\n{out}")
    CLUSTERS[name] = [(int(first), core, int(n)) for core, first, n in cl]
    return CLUSTERS[name]


def parse_plan(out):
    """{(n, src, dst): cell} and {(n, dst): [cores]} for the era."""
    cells, pmu = {}, {}
    for m in re.finditer(r"^migration matrix for N = (\d+) under KVM (\S+) \(rows: source, columns: destination\)\n"
                         r"(.*?)\n\n", out + "\n\n", re.M | re.S):
        n, era, body = int(m.group(1)), m.group(2), m.group(3).splitlines()
        if era != ERA:
            fail(f"plan --kvm {ERA} printed a matrix under {era}")
        dsts = body[0].split()
        for row in body[1:]:
            if row.startswith("  pmu to "):
                dst, cores = row[len("  pmu to "):].split(": ")
                pmu[(n, dst)] = re.findall(r"--pmu (\S+)", cores)
                continue
            src, *vals = row.split()
            for dst, v in zip(dsts, vals):
                cells[(n, src, dst)] = v
    if not cells:
        fail("plan printed no matrix:\n" + out)
    return cells, pmu


SAVED = {}


def snapshot(src, n):
    """migrate_count saved on src with N = n: the VMM and the vCPU on a cluster with n counters."""
    if (src, n) in SAVED:
        return SAVED[(src, n)]
    first = next(c for c in clusters(src) if c[2] >= n)[0]
    snap = os.path.join(WORK, f"{src}-{n}.snap")
    p = pmuemu("run", "--host", HOSTS[src], "--guest", GUEST, "--kvm", ERA, "--affinity", f"0={first}", "--vmm-cpu",
               str(first), "--pmcr-n", str(n), "--save", snap, "--stop-after-insns", "100000", *FAST)
    if p.returncode != 0 or f"start: PMCR_EL0.N = {n}\n" not in p.stdout:
        fail(f"save on {src} with N = {n} under {ERA}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    SAVED[(src, n)] = snap
    return snap


def restore(snap, dst, *extra):
    return pmuemu("run", "--host", HOSTS[dst], "--restore", snap, *extra, *FAST)


def kept(p, n):
    return p.returncode == 0 and f"end: PMCR_EL0.N = {n}, counter 0 continued across the migration: yes" in p.stdout


def check(n, src, dst, cell, pmu):
    snap = snapshot(src, n)
    what = f"{ERA} N = {n} {src} -> {dst} ({cell})"
    if cell == "ok":
        for first, _, _ in clusters(dst):  # whatever cluster the VMM thread runs on
            p = restore(snap, dst, "--affinity", f"0={first}", "--vmm-cpu", str(first))
            if not kept(p, n):
                fail(f"{what}, VMM on pCPU {first}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    elif cell == "pmu":
        if not pmu:
            fail(f"{what}: plan names no --pmu for it")
        for core in pmu:
            first = next(c[0] for c in clusters(dst) if c[1] == core)
            p = restore(snap, dst, "--pmu", core, "--affinity", f"0={first}", "--vmm-cpu", str(first))
            if not kept(p, n):
                fail(f"{what}, --pmu {core}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    elif cell == "raw":
        p = restore(snap, dst)
        if not kept(p, n) or all(c[2] >= n for c in clusters(dst)):
            fail(f"{what}: expected N = {n} accepted on a PMU with fewer counters: exit {p.returncode}\n{p.stderr}")
    elif cell == "no":
        p = restore(snap, dst)
        # The destination kept its own N (PMCR_EL0 replayed), or, under STRICT, refused
        # SET_NR_COUNTERS with the saved N: the same refusal either way.
        if p.returncode != 6 or f"restore refused: the snapshot's PMCR_EL0.N is {n} but the destination" \
                not in p.stderr or p.stdout:
            fail(f"{what}: expected the VMM's refusal (exit 6): exit {p.returncode}\n{p.stdout}{p.stderr}")
    elif cell == "einval":
        p = restore(snap, dst)
        if p.returncode != 5 or not re.search(r"KVM_SET_ONE_REG\(vcpu0, 0x[0-9a-f]+, .*\) failed: EINVAL|"
                                              r"KVM_SET_ONE_REG\(vcpu0, PMCR_EL0.*EINVAL", p.stderr):
            fail(f"{what}: expected KVM to refuse PMCR_EL0 (exit 5): exit {p.returncode}\n{p.stderr}")
    elif cell == "refused":
        p = restore(snap, dst)
        if p.returncode != 5 or p.stdout:
            fail(f"{what}: expected KVM to refuse building the VM (exit 5): exit {p.returncode}\n{p.stderr}")
    elif cell == "no-vpmu":
        p = restore(snap, dst)
        if p.returncode != 5 or "no vPMU" not in p.stderr:
            fail(f"{what}: expected no vPMU (exit 5): exit {p.returncode}\n{p.stderr}")
    else:
        fail(f"{what}: plan printed a cell this test does not know")
    return 1


os.makedirs(WORK, exist_ok=True)
plan = pmuemu("plan", "--kvm", ERA, "--n", N, *HOSTS.values())
if plan.returncode != 0:
    fail(f"plan: exit {plan.returncode}: {plan.stderr}")
cells, pmu = parse_plan(plan.stdout)
# One restore per distinct (N, destination, cell), from the first source of a different host
# with that cell (the source's own host when no other has it).
tested, done = set(), 0
for (n, src, dst), cell in sorted(cells.items(), key=lambda kv: (kv[0][0], kv[0][1] == kv[0][2])):
    key = (dst, cell) if cell == "no-vpmu" else (n, dst, cell)  # no vPMU does not depend on N
    if cell == "-" or key in tested:
        continue
    tested.add(key)
    done += check(n, src, dst, cell, pmu.get((n, dst), []))
kinds = sorted({c for c in cells.values() if c != "-"})
if {n for n, _, _ in cells} != {int(N)}:
    fail(f"plan --n {N} printed the matrices for {sorted({n for n, _, _ in cells})}")
print(f"ok: plan --kvm {ERA} --n {N} agrees with {done} restores (cells: {', '.join(kinds)})")
