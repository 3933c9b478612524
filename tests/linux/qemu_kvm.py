#!/usr/bin/env python3
"""Debian's QEMU as the VMM: qemu-system-aarch64 (arm64, from scripts/qemu-arm64) runs under
`pmuemu user` and drives pmuemu's /dev/kvm with -accel kvm (docs/user-mode.md).

usage: qemu_kvm.py PMUEMU HOST.yaml QEMU_ROOT hello GUEST.elf
       qemu_kvm.py PMUEMU HOST.yaml QEMU_ROOT smp GUEST.elf
       qemu_kvm.py PMUEMU HOST.yaml QEMU_ROOT migrate GUEST.elf   (QEMU 8.2 and later: file: migration)
       qemu_kvm.py PMUEMU HOST.yaml QEMU_ROOT linux-perf Image perf.cpio
       qemu_kvm.py PMUEMU HOST.yaml QEMU_ROOT linux-perf-smp Image perf.cpio
       qemu_kvm.py PMUEMU HOST.yaml QEMU_ROOT virtio-blk Image perf.cpio
       qemu_kvm.py PMUEMU HOST.yaml QEMU_ROOT virtio-blk-pci Image perf.cpio

QEMU_ROOT is a root from scripts/qemu-arm64: bookworm's QEMU 7.2 or trixie's QEMU 10.

hello       the PL011/PSCI guest guests/virt/kvm_pmu_hello.c under eras 6.6, 6.7 and 6.16,
            with QEMU's threads on a LITTLE and on a big pCPU: it reports the PMCR_EL0.N of
            that pCPU's cluster (read from `pmuemu host show`), counts its own loop with
            INST_RETIRED, and QEMU exits 0 after PSCI SYSTEM_OFF; the same run twice gives
            byte-identical output
smp         the same guest with -smp 2: vCPU 1, started with PSCI CPU_ON, measures too. With
            both vCPU threads on a LITTLE pCPU both count their loops. With QEMU's "CPU 1/KVM"
            thread placed on a big pCPU (pmuemu user --thread-cpu, QEMU's -name
            debug-threads=on), vCPU 1 reads the big cluster's N under 6.6 (its reset reads
            the pCPU it runs on) and the VM-wide LITTLE N under 6.7 and 6.16, and in every
            era its counters stay at 0: the VM's PMU is the LITTLE cluster's (the first
            vCPU's), which counts nothing on a big core
migrate     QEMU's own migration between clusters: the guest is created paused (-S) with
            QEMU's threads on one cluster, saved with the monitor's `migrate file:...`, and
            loaded by a second QEMU on the other cluster (-incoming file:..., then `cont`),
            where it runs for the first time and reads N: under 6.6 the N of the cluster it
            was created on (the restored PMCR_EL0 keeps it, whatever the new host has),
            under 6.7 the smaller of the two (a larger N than the destination's PMU has is
            ignored, silently); it counts its loop either way
linux-perf  Debian's kernel with Debian's perf in the initramfs under QEMU, on a big pCPU:
            the kernel's PMU driver reports that cluster's N + 1 counters, `perf stat`
            counts instructions at EL0 and EL1 and cycles, all of the time, and the guest
            powers off (QEMU exits 0); with -cpu host,pmu=off the kernel finds no PMU and
            perf reports cycles <not supported>
linux-perf-smp  the same kernel and perf with -smp 2: `perf stat -a -A` over a busy loop
            pinned to each vCPU (md5sum of a 4 MB file under busybox taskset) counts per CPU. With both vCPU threads on
            LITTLE pCPUs both CPUs count instructions at EL0 and cycles. With vCPU 1's thread
            on a big pCPU (--thread-cpu) CPU1 counts 0 of either, all of the time, while
            CPU0 counts: the VM's PMU is the LITTLE cluster's, which counts nothing on a
            big core, and Linux's perf cannot tell (era 6.7)
virtio-blk  the same kernel reads a 1 MiB virtio-blk disk (virtio-mmio) that QEMU serves with
            an ioeventfd on the queue's notify register (KVM_IOEVENTFD): the guest's md5sum
            of /dev/vda is the host's, QEMU registered the ioeventfd, and no guest write to
            that register reached QEMU as an MMIO exit (the model signalled the eventfd)
virtio-blk-pci  the same disk as virtio-blk-pci served by a QEMU I/O thread: also, QEMU
            routes the device's MSI-X vectors to the ITS (KVM_SET_GSI_ROUTING) and raises them
            through irqfds, the guest takes its queue interrupts as ITS-MSI LPIs, and none
            goes through KVM_SIGNAL_MSI
"""
import hashlib
import os
import random
import re
import subprocess
import sys
import tempfile


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def counters_of(pmuemu, host):
    """pCPU -> PMCR_EL0.N, from pmuemu host show."""
    out = subprocess.run([pmuemu, "host", "show", host], capture_output=True, text=True, check=True).stdout
    n = {}
    for line in out.splitlines():
        m = re.match(r"^(\d+)\s+\d+\s+\S+\s+0x[0-9a-f]+\s+v[\d.]+\s+(\d+)\s", line)
        if m:
            n[int(m.group(1))] = int(m.group(2))
    if not n:
        fail(f"no pCPU rows in `pmuemu host show {host}`:\n{out}")
    return n


def qemu(pmuemu, host, root, era, vmm_cpu, qemu_args, timeout, pmuemu_args=(), stdin=None):
    cmd = [pmuemu, "user", "--host", host, "--kvm", era, "--vmm-cpu", str(vmm_cpu), "--sysroot", root,
           "--timeout", str(timeout), *pmuemu_args, root + "/usr/bin/qemu-system-aarch64",
           "-M", "virt,gic-version=3", "-cpu", "host", "-accel", "kvm", "-nographic", "-nodefaults",
           "-no-reboot"] + ([] if "-serial" in qemu_args else ["-serial", "stdio"]) + qemu_args
    try:
        # Without input, /dev/null: QEMU's stdio serial port must not see whatever the caller's
        # stdin is (a terminal, a pipe kept open by a CI runner), so that runs are the same.
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 30, input=stdin,
                           stdin=subprocess.DEVNULL if stdin is None else None)
    except subprocess.TimeoutExpired:
        fail("timed out: " + " ".join(cmd))
    return r, cmd


def hello(pmuemu, host, root, guest):
    n_of = counters_of(pmuemu, host)
    little, big = min(n_of), max(n_of)
    if n_of[little] == n_of[big]:
        fail(f"{host}: pCPUs {little} and {big} have the same N; the test needs two clusters")
    first = None
    for era in ("6.6", "6.7", "6.16"):
        for cpu in (little, big):
            r, cmd = qemu(pmuemu, host, root, era, cpu, ["-m", "128M", "-kernel", guest], 60)
            where = f"era {era}, QEMU on pCPU {cpu}"
            if r.returncode != 0:
                fail(f"{where}: exit status {r.returncode}\n{r.stdout}\n{r.stderr}\n{' '.join(cmd)}")
            m = re.search(r"kvm_pmu_hello: N=(\d+) INST_RETIRED=1 loop_insts=(\d+) cycles_moved=1", r.stdout)
            if not m:
                fail(f"{where}: no report in\n{r.stdout}\n{r.stderr}")
            if int(m.group(1)) != n_of[cpu]:
                fail(f"{where}: the guest sees N={m.group(1)}, pCPU {cpu}'s cluster has {n_of[cpu]}")
            if "kvm_pmu_hello: ok" not in r.stdout:
                fail(f"{where}: the guest's checks failed:\n{r.stdout}")
            print(f"{where}: N={m.group(1)}, loop counted {m.group(2)} instructions, QEMU exited 0")
            if first is None:
                first = (era, cpu, r.stdout)
    era, cpu, out = first
    r, _ = qemu(pmuemu, host, root, era, cpu, ["-m", "128M", "-kernel", guest], 60)
    if r.stdout != out:
        fail(f"era {era}, pCPU {cpu}: a second run printed something else:\n{out}\n---\n{r.stdout}")
    print("the same run twice: byte-identical output")


def smp(pmuemu, host, root, guest):
    n_of = counters_of(pmuemu, host)
    little, big = min(n_of), max(n_of)
    line0 = re.compile(r"kvm_pmu_hello: N=(\d+) INST_RETIRED=1 loop_insts=(\d+) cycles_moved=1")
    line1 = re.compile(r"kvm_pmu_hello: cpu1 N=(\d+) loop_insts=(\d+) cycles_moved=(\d)")
    runs = [("6.7", None, n_of[little], True), ("6.6", big, n_of[big], False), ("6.7", big, n_of[little], False),
            ("6.16", big, n_of[little], False)]
    for era, cpu1_on, want_n, counts in runs:
        place = ["--thread-cpu", f"CPU 1/KVM={cpu1_on}"] if cpu1_on is not None else []
        r, cmd = qemu(pmuemu, host, root, era, little,
                      ["-m", "128M", "-smp", "2", "-name", "debug-threads=on", "-kernel", guest], 60, place)
        where = f"era {era}, vCPU 1's thread on pCPU {cpu1_on if cpu1_on is not None else little}"
        if r.returncode != 0:
            fail(f"{where}: exit status {r.returncode}\n{r.stdout}\n{r.stderr}\n{' '.join(cmd)}")
        m0, m1 = line0.search(r.stdout), line1.search(r.stdout)
        if not m0 or not m1 or "kvm_pmu_hello: ok" not in r.stdout:
            fail(f"{where}: no report of both vCPUs, or a failed check:\n{r.stdout}\n{r.stderr}")
        if int(m0.group(1)) != n_of[little]:
            fail(f"{where}: vCPU 0 (on pCPU {little}) sees N={m0.group(1)}, want {n_of[little]}")
        n1, insts1, moved1 = int(m1.group(1)), int(m1.group(2)), m1.group(3) == "1"
        if n1 != want_n:
            fail(f"{where}: vCPU 1 sees N={n1}, want {want_n}\n{r.stdout}")
        if counts and not (200000 <= insts1 <= 200064 and moved1):
            fail(f"{where}: vCPU 1 did not count its loop (loop_insts={insts1}, cycles_moved={moved1})")
        if not counts and (insts1 != 0 or moved1):
            fail(f"{where}: vCPU 1 counted on a core its VM's PMU does not cover (loop_insts={insts1})")
        print(f"{where}: vCPU 0 N={m0.group(1)}, vCPU 1 N={n1} loop_insts={insts1} cycles_moved={int(moved1)}")


def migrate(pmuemu, host, root, guest):
    n_of = counters_of(pmuemu, host)
    little, big = min(n_of), max(n_of)
    report = re.compile(r"kvm_pmu_hello: N=(\d+) INST_RETIRED=1 loop_insts=(\d+) cycles_moved=1")
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "state")
        for era in ("6.6", "6.7"):
            for src, dst in ((big, little), (little, big)):
                where = f"era {era}, saved on pCPU {src} (N={n_of[src]}), loaded on pCPU {dst} (N={n_of[dst]})"
                if os.path.exists(state):
                    os.unlink(state)
                base = ["-m", "128M", "-kernel", guest]
                r, cmd = qemu(pmuemu, host, root, era, src, base + ["-serial", "none", "-monitor", "stdio", "-S"], 60,
                              stdin=f"migrate file:{state}\nquit\n")
                if r.returncode != 0 or "Error" in r.stdout or not os.path.exists(state) or os.path.getsize(state) == 0:
                    fail(f"{where}: the source did not save its state:\n{r.stdout}\n{r.stderr}\n{' '.join(cmd)}")
                # The loaded VM stays paused, as the source was: the monitor (multiplexed with
                # the serial port on stdio, Ctrl-A c switches) starts it.
                r, cmd = qemu(pmuemu, host, root, era, dst, base + ["-serial", "mon:stdio", "-incoming", f"file:{state}"],
                              60, stdin="\x01ccont\n")
                m = report.search(r.stdout)
                if r.returncode != 0 or not m or "kvm_pmu_hello: ok" not in r.stdout:
                    fail(f"{where}: the loaded guest did not run and report:\n{r.stdout}\n{r.stderr}\n{' '.join(cmd)}")
                want = n_of[src] if era == "6.6" else min(n_of[src], n_of[dst])
                if int(m.group(1)) != want:
                    fail(f"{where}: the guest reads N={m.group(1)}, want {want}")
                print(f"{where}: the guest reads N={m.group(1)} and counts its loop ({m.group(2)} instructions)")


def linux_perf(pmuemu, host, root, image, initrd):
    n_of = counters_of(pmuemu, host)
    cpu = max(n_of, key=lambda c: (n_of[c], c))
    cmd = 'sh -c "perf stat -x, -e instructions:u,instructions:k,cycles ls /; dmesg | grep -i perfevents"'
    r, full = qemu(pmuemu, host, root, "6.7", cpu,
                   ["-m", "512M", "-kernel", image, "-initrd", initrd, "-append",
                    "console=ttyAMA0 rdinit=/init cryptomgr.notests panic=-1 quiet -- " + cmd], 300)
    out = r.stdout
    if r.returncode != 0:
        fail(f"exit status {r.returncode}\n{out}\n{r.stderr}\n{' '.join(full)}")
    want = f"hw perfevents: enabled with armv8_pmuv3 PMU driver, {n_of[cpu] + 1} counters available"
    if want not in out:
        fail(f"the kernel's PMU driver line is not {want!r}:\n{out}")
    rows = {}
    for line in out.splitlines():
        f = line.strip().split(",")
        if len(f) >= 5 and f[2] in ("instructions:u", "instructions:k", "cycles"):
            rows[f[2]] = (f[0], f[4])
    for ev in ("instructions:u", "instructions:k", "cycles"):
        if ev not in rows:
            fail(f"perf stat printed no {ev} row:\n{out}")
        count, running = rows[ev]
        if not count.isdigit() or int(count) == 0 or running != "100.00":
            fail(f"{ev}: count {count!r}, running {running!r}% (want a count, all of the time):\n{out}")
    if "proc" not in out or "reboot: Power down" not in out:
        fail(f"no `ls /` output or no power-off:\n{out}")
    print(f"QEMU on pCPU {cpu}: {want}; " +
          ", ".join(f"{ev} {rows[ev][0]}" for ev in ("instructions:u", "instructions:k", "cycles")))
    # -cpu host,pmu=off: QEMU leaves out KVM_ARM_VCPU_PMU_V3, so the vCPU has no PMU
    # (ID_AA64DFR0_EL1.PMUVer 0, its registers UNDEFINED) and the kernel registers none.
    r, full = qemu(pmuemu, host, root, "6.7", cpu,
                   ["-cpu", "host,pmu=off", "-m", "512M", "-kernel", image, "-initrd", initrd, "-append",
                    "console=ttyAMA0 rdinit=/init cryptomgr.notests panic=-1 -- " + cmd], 300)
    out = r.stdout
    if r.returncode != 0 or "reboot: Power down" not in out:
        fail(f"pmu=off: exit status {r.returncode}, or no power-off\n{out}\n{r.stderr}\n{' '.join(full)}")
    if "hw perfevents" in out or not re.search(r"<not supported>,+cycles", out):
        fail(f"pmu=off: the guest found a PMU, or perf counted cycles:\n{out}")
    print(f"QEMU -cpu host,pmu=off: no PMU driver, perf stat: cycles <not supported>")


def linux_perf_smp(pmuemu, host, root, image, initrd):
    n_of = counters_of(pmuemu, host)
    little, big = min(n_of), max(n_of)
    others = [c for c in sorted(n_of) if n_of[c] == n_of[little] and c != little]
    if n_of[little] == n_of[big] or not others:
        fail(f"{host}: the test needs two LITTLE pCPUs and a big one")
    # The kernel's command line quotes with double quotes only, without escapes: the work
    # for each CPU is one program, md5sum of a 4 MB file (millions of EL0 instructions).
    work = "taskset -c 0 md5sum /usr/bin/perf & taskset -c 1 md5sum /usr/bin/perf & wait"
    cmd = f"sh -c \"perf stat -a -A -x, -e instructions:u,cycles -- sh -c '{work}'\""
    for cpu1_on, counts in ((others[0], True), (big, False)):
        r, full = qemu(pmuemu, host, root, "6.7", little,
                       ["-m", "512M", "-smp", "2", "-name", "debug-threads=on", "-kernel", image, "-initrd", initrd,
                        "-append", "console=ttyAMA0 rdinit=/init cryptomgr.notests panic=-1 quiet -- " + cmd],
                       300, ["--thread-cpu", f"CPU 1/KVM={cpu1_on}"])
        out = r.stdout
        where = f"vCPU 0's thread on pCPU {little} (N={n_of[little]}), vCPU 1's on pCPU {cpu1_on} (N={n_of[cpu1_on]})"
        if r.returncode != 0 or "reboot: Power down" not in out:
            fail(f"{where}: exit status {r.returncode}, or no power-off\n{out}\n{r.stderr}\n{' '.join(full)}")
        rows = {}
        for line in out.splitlines():
            f = line.strip().split(",")
            if len(f) >= 6 and f[0] in ("CPU0", "CPU1") and f[3] in ("instructions:u", "cycles"):
                rows[(f[0], f[3])] = (f[1], f[5])
        got = []
        for key in (("CPU0", "instructions:u"), ("CPU0", "cycles"), ("CPU1", "instructions:u"), ("CPU1", "cycles")):
            if key not in rows:
                fail(f"{where}: perf stat -A printed no {key[1]} row for {key[0]}:\n{out}")
            count, running = rows[key]
            if not count.isdigit() or running != "100.00":
                fail(f"{where}: {key[0]} {key[1]}: count {count!r}, running {running!r}% (want a count, all of the time):\n{out}")
            got.append(f"{key[0]} {key[1]} {count}")
            if key[0] == "CPU0" or counts:
                # md5sum of 4 MB alone is millions of instructions at EL0.
                if int(count) < 100000:
                    fail(f"{where}: {key[0]} counted {count} {key[1]}, want the busy loop's:\n{out}")
            elif int(count) != 0:
                fail(f"{where}: {key[0]} counted {count} {key[1]} on a core its VM's PMU does not cover:\n{out}")
        print(f"{where}: " + ", ".join(got))


def virtio_blk(pmuemu, host, root, image, initrd, pci=False):
    n_of = counters_of(pmuemu, host)
    cpu = max(n_of, key=lambda c: (n_of[c], c))
    # virtio-mmio: QEMU's main loop serves the queue; virtio-pci with an I/O thread: its
    # interrupts are MSI-X vectors that QEMU routes to the ITS (KVM_SET_GSI_ROUTING) and
    # raises through irqfds from that thread.
    device = (["-object", "iothread,id=io0", "-device", "virtio-blk-pci,drive=d0,iothread=io0"] if pci
              else ["-device", "virtio-blk-device,drive=d0"])
    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, "disk.img")
        rng = random.Random(2026)
        data = bytes(rng.getrandbits(8) for _ in range(1 << 20))
        with open(disk, "wb") as f:
            f.write(data)
        want = hashlib.md5(data).hexdigest()
        r, full = qemu(pmuemu, host, root, "6.7", cpu,
                       ["-m", "512M", "-kernel", image, "-initrd", initrd,
                        "-drive", f"file={disk},format=raw,if=none,id=d0"] + device +
                       ["-append", 'console=ttyAMA0 rdinit=/init cryptomgr.notests panic=-1 quiet -- '
                                   'sh -c "md5sum /dev/vda; grep virtio /proc/interrupts"'],
                       300, ["--trace", "vmm"])
    out, trace = r.stdout, r.stderr
    if r.returncode != 0:
        fail(f"exit status {r.returncode}\n{out}\n{trace[-4000:]}\n{' '.join(full)}")
    if f"{want}  /dev/vda" not in out:
        fail(f"the guest's md5sum of /dev/vda is not the disk's {want}:\n{out}")
    notify = re.findall(r"KVM_IOEVENTFD\(addr (0x[0-9a-f]+), len [24], fd \d+, flags 0x1, datamatch \w+\)\) = 0", trace)
    if not notify:
        fail("QEMU registered no ioeventfd (KVM_IOEVENTFD with DATAMATCH for queue 0):\n" +
             "\n".join(l for l in trace.splitlines() if "IOEVENTFD" in l or "CHECK_EXTENSION" in l))
    exits = [l for l in trace.splitlines() if "KVM_EXIT_MMIO write " + notify[0] + " " in l]
    if exits:
        fail(f"{len(exits)} guest writes to the notify register {notify[0]} exited to QEMU:\n{exits[0]}")
    runs = trace.count("KVM_RUN")
    what = f"queue notify at {notify[0]} through an ioeventfd, 0 MMIO exits there in {runs} KVM_RUN calls"
    if pci:
        irqfds = re.findall(r"KVM_IRQFD\(fd \d+, gsi (\d+), flags 0\)\) = 0", trace)
        msis = trace.count("KVM_SIGNAL_MSI")
        m = re.search(r"^\s*\d+:\s+(\d+)\s+ITS-MSI\s+\d+\s+Edge\s+virtio0-req\.0", out, re.M)
        if "KVM_SET_GSI_ROUTING) = 0" not in trace or not irqfds:
            fail("QEMU set up no MSI routes and irqfds:\n" +
                 "\n".join(l for l in trace.splitlines() if "GSI_ROUTING" in l or "IRQFD" in l))
        if not m or int(m.group(1)) == 0:
            fail(f"the guest took no ITS-MSI interrupt on its virtio queue:\n{out}")
        if msis != 0:
            fail(f"{msis} interrupts went through KVM_SIGNAL_MSI, not the irqfds")
        what += (f"; {m.group(1)} queue interrupts through irqfds (GSIs {', '.join(sorted(set(irqfds)))}) "
                 "routed as MSIs to the ITS, 0 KVM_SIGNAL_MSI")
    print(f"QEMU on pCPU {cpu}: md5sum /dev/vda = {want}; {what}")


def main():
    if len(sys.argv) < 5:
        fail(__doc__)
    pmuemu, host, root, mode = sys.argv[1:5]
    rest = sys.argv[5:]
    if mode == "hello" and len(rest) == 1:
        hello(pmuemu, host, root, rest[0])
    elif mode == "smp" and len(rest) == 1:
        smp(pmuemu, host, root, rest[0])
    elif mode == "migrate" and len(rest) == 1:
        migrate(pmuemu, host, root, rest[0])
    elif mode == "linux-perf" and len(rest) == 2:
        linux_perf(pmuemu, host, root, *rest)
    elif mode == "linux-perf-smp" and len(rest) == 2:
        linux_perf_smp(pmuemu, host, root, *rest)
    elif mode == "virtio-blk" and len(rest) == 2:
        virtio_blk(pmuemu, host, root, *rest)
    elif mode == "virtio-blk-pci" and len(rest) == 2:
        virtio_blk(pmuemu, host, root, *rest, pci=True)
    else:
        fail(__doc__)
    print("PASS")


if __name__ == "__main__":
    main()
