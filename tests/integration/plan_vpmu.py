#!/usr/bin/env python3
"""A host whose clusters have different PMU versions (tests/data/configs/mixed-pmu.yaml):
`run` refuses with the reason, not a bare EINVAL; `run --no-pmu` works; `conformance --help`
documents exit 77 (the ctest conformance_no_vpmu_skips runs it); `plan` flags the host and compares PMU
version, events and MIDR across hosts (each figure checked against `host show`).

usage: plan_vpmu.py PMUEMU SOURCE_DIR GUEST_DIR
"""
import os
import re
import subprocess
import sys

PMUEMU, SRC, GUESTS = sys.argv[1:4]
MIXED = os.path.join(SRC, "tests/data/configs/mixed-pmu.yaml")
BL = os.path.join(SRC, "configs/big-little.yaml")
N1 = os.path.join(SRC, "configs/server-n1.yaml")
REASON = ("host 'mixed-pmu' has clusters with different PMU versions (cluster 0 cortex-a53 PMUv3.0, cluster 1 "
          "cortex-a76 PMUv3.1): ID_AA64DFR0_EL1.PMUVer must match on every CPU, so its sanitised value is 0 and "
          "KVM registers no host PMU: no vPMU (KVM_CAP_ARM_PMU_V3 absent)")


def run(*args):
    p = subprocess.run([PMUEMU, *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    if not cond:
        print("FAIL: " + what)
        sys.exit(1)


hello = os.path.join(GUESTS, "hello.elf")
rc, out, err = run("run", "--host", MIXED, "--guest", hello)
check(rc == 5 and err == "pmuemu: error: KVM_ARM_VCPU_INIT(vcpu0) failed: EINVAL: "
      + REASON + "; run with --no-pmu\n", f"run on the mixed host: {rc} {err!r}")
rc, out, err = run("run", "--host", MIXED, "--guest", hello, "--no-pmu")
check(rc == 0 and "hello" in out, f"run --no-pmu: {rc} {err!r}")

# `conformance` on it (the selftest's own skip, the era cases skipped with this reason) is
# the ctest conformance_no_vpmu_skips: it needs the built selftests, this test does not.
rc, out, _ = run("conformance", "--help")
check("  77 " in out, "conformance --help lists 77")

rc, out, err = run("plan", BL, N1, MIXED)
check(rc == 0 and err == "", f"plan: {rc} {err!r}")
check("no vPMU:\n  " + REASON + "\n" in out, "plan flags the mixed host with the reason")
# Every cluster row agrees with `host show` of its host (core, N, PMU version, MIDR).
all_midrs = set()
for host in (BL, N1, MIXED):
    _, show, _ = run("host", "show", host)
    name = re.search(r"^host (\S+)", show, re.M).group(1)
    for m in re.finditer(r"^  (\d+): \d+ x (\S+), pCPUs? [\d-]+, PMUv(\S+) N=(\d+)", show, re.M):
        c, core, ver, n = m.groups()
        midr = re.search(rf"^\d+\s+{c}\s+{core} (0x[0-9a-f]+)", show, re.M).group(1)
        all_midrs.add(int(midr, 16))
        row = rf"^{name}\s+{c}\s+{core}\s+\S+\s+{n}\s+v{re.escape(ver)}\s+{midr}\s+0x00000000$"
        check(re.search(row, out, re.M), f"plan row for {name} cluster {c}: {row}")
check(re.search(r"^big-little\s+v3\.1 \(PMUVer 4\)$", out, re.M) and re.search(r"^mixed-pmu\s+none \(no vPMU\)$",
      out, re.M), "PMUVer a VM gets")
check(re.search(r"^big-little\s+ok\s+ok\s+no-vpmu\s*$", out, re.M), "matrix N=4: the mixed host takes no vPMU VM")
check(re.search(r"^mixed-pmu\s+-\s+-\s+-\s*$", out, re.M), "matrix: the mixed host is no source")
check("(mixed-pmu is left out: it offers no vPMU.)" in out, "N bound leaves the mixed host out")
# Events lost: big-little's common events that some mixed-pmu cluster lacks (cortex-a53).
lost = re.search(r"^  big-little -> mixed-pmu: (.*)$", out, re.M)
check(lost and "BR_RETIRED" in lost.group(1), f"events lost: {lost and lost.group(1)}")
midrs = re.search(r"errata\): (.*)$", out, re.M).group(1).split()
check(midrs == [f"0x{m:08x}/0x0" for m in sorted(all_midrs)], f"MIDR list {midrs} vs host show {all_midrs}")
print("ok")
