#!/usr/bin/env python3
"""Linux boot tests (docs/linux-guest.md): the Image/initrd/DTB loader's refusals, the boot
protocol at the kernel's entry, the generated device tree decompiled by dtc, and Debian's
kernel booted to an FP-free /init.

usage: linux_test.py PMUEMU HOST WORK_DIR bad-input PROBE_IMAGE
       linux_test.py PMUEMU HOST WORK_DIR probe PROBE_IMAGE [pmuemu args...]
       linux_test.py PMUEMU HOST WORK_DIR dtb PROBE_IMAGE
       linux_test.py PMUEMU HOST WORK_DIR boot IMAGE INITRD [pmuemu args...]
       linux_test.py PMUEMU HOST WORK_DIR busybox IMAGE INITRD [pmuemu args...]
       linux_test.py PMUEMU HOST WORK_DIR perf IMAGE INITRD [pmuemu args...]
       linux_test.py PMUEMU HOST WORK_DIR perf-record IMAGE INITRD [pmuemu args...]
       linux_test.py PMUEMU HOST WORK_DIR reset IMAGE INITRD [pmuemu args...]
       linux_test.py PMUEMU HOST WORK_DIR reboot-cluster IMAGE INITRD --kvm ERA
       linux_test.py PMUEMU HOST WORK_DIR drive IMAGE INITRD [pmuemu args...]
       linux_test.py PMUEMU HOST WORK_DIR root-drive IMAGE INITRD [pmuemu args...]
       linux_test.py PMUEMU HOST WORK_DIR tty IMAGE INITRD [pmuemu args...]
       linux_test.py PMUEMU HOST WORK_DIR prompt IMAGE INITRD [pmuemu args...]
       linux_test.py PMUEMU HOST WORK_DIR debian-system IMAGE INITRD DEBIAN_IMG [pmuemu args...]
       linux_test.py PMUEMU HOST WORK_DIR snapshot-save IMAGE INITRD SNAP [--kvm ERA]
       linux_test.py PMUEMU HOST WORK_DIR snapshot-restore SNAP DEST_HOST IMAGE INITRD --kvm ERA
"""
import gzip
import os
import re
import shutil
import struct
import subprocess
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(pmuemu, host, args, stdin=b"", timeout=600):
    p = subprocess.run([pmuemu, "run", "--host", host] + args, input=stdin, capture_output=True, timeout=timeout)
    # The guest's tty turns "\n" into "\r\n" (ONLCR).
    return p.returncode, p.stdout.decode(errors="replace").replace("\r\n", "\n"), p.stderr.decode(errors="replace")


def image(text_offset=0, image_size=None, flags=0xA, magic=b"ARM\x64", body=b"\x00" * 64):
    """An arm64 Image header (booting.rst) followed by `body`."""
    size = 64 + len(body) if image_size is None else image_size
    hdr = struct.pack("<IIQQQQQQ", 0x14000000, 0, text_offset, size, flags, 0, 0, 0) + magic + b"\x00" * 4
    return hdr + body


def bad_input(pmuemu, host, work, probe):
    good = open(probe, "rb").read()
    ok_initrd = gzip.compress(b"070701" + b"0" * 104, mtime=0)
    cases = [
        # name, files {name: bytes}, extra args, expected stderr (after "pmuemu: error: ")
        ("empty kernel", {"k": b""}, [], "k: not an arm64 Image: kernel is 0 bytes, shorter than the 64-byte header"),
        ("no magic", {"k": image(magic=b"ARM\x65")}, [], 'k: not an arm64 Image: no "ARM\\x64" magic at offset 0x38 (kernel)'),
        ("an ELF", {"k": b"\x7fELF" + b"\x00" * 200}, [], 'k: not an arm64 Image: no "ARM\\x64" magic at offset 0x38 (kernel)'),
        ("big-endian", {"k": image(flags=0xB)}, [], "k: big-endian kernel (Image flags bit 0): only little-endian guests run"),
        ("64K pages", {"k": image(flags=0x6 | 0x8)}, [],
         "k: kernel built for 64 KiB pages (Image flags bits 2:1): the MMU implements the 4 KiB granule only"),
        ("16K pages", {"k": image(flags=0x4 | 0x8)}, [],
         "k: kernel built for 16 KiB pages (Image flags bits 2:1): the MMU implements the 4 KiB granule only"),
        ("reserved flags", {"k": image(flags=0x18)}, [], "k: Image flags 24 has reserved bits set"),
        ("image_size 0", {"k": image(image_size=0)}, [],
         "k: Image header has image_size 0 (a kernel older than 3.17): its memory footprint is unknown"),
        ("image_size short", {"k": image(image_size=64)}, [],
         "k: Image header's image_size (64) is smaller than the 128 bytes of the Image"),
        ("text_offset", {"k": image(text_offset=0x200001)}, [],
         "k: Image text_offset 2097153 is not a 4 KiB-aligned offset below 2 MiB"),
        ("gzip garbage", {"k": b"\x1f\x8b\x08\x00" + b"\xff" * 40}, [], None),  # zlib's own words
        ("gzip truncated", {"k": gzip.compress(good, mtime=0)[:200]}, [], "k: corrupt gzip data: truncated"),
        ("gzip of non-Image", {"k": gzip.compress(b"hello" * 100, mtime=0)}, [],
         'k: not an arm64 Image: no "ARM\\x64" magic at offset 0x38 (the inflated kernel)'),
        ("too big for RAM", {"k": image(image_size=200 << 20)}, ["--memory", "64M"],
         "k: kernel (200 MiB), DTB and initrd (0 MiB) need 202 MiB of RAM from its start; the VM has 64 MiB (--memory)"),
        ("empty initrd", {"k": good, "i": b""}, ["--initrd", "i"], "i: initrd is empty"),
        ("text initrd", {"k": good, "i": b"hello world\n"}, ["--initrd", "i"],
         "i: not an initrd: neither a cpio newc archive nor gzip, bzip2, lzma, xz, lzo, lz4 or zstd data"),
        ("missing initrd", {"k": good}, ["--initrd", "nope"], None),
        ("dtb magic", {"k": good, "d": b"\x00" * 64}, ["--dtb", "d"],
         "d: not a device tree blob: bad magic (expected 0xd00dfeed)"),
        ("dtb short", {"k": good, "d": b"\xd0\x0d"}, ["--dtb", "d"], "d: not a device tree blob: shorter than its header"),
        ("dtb truncated", {"k": good, "d": struct.pack(">IIIIIIIIII", 0xd00dfeed, 4096, 56, 0, 40, 17, 16, 0, 0, 0)},
         ["--dtb", "d"], "d: device tree blob is truncated: header says 4096 bytes, the file has 40 bytes"),
        ("initrd without kernel", {"i": ok_initrd}, ["--guest", "x.elf", "--initrd", "i"], "--initrd goes with --kernel IMAGE"),
    ]
    for name, files, args, want in cases:
        d = os.path.join(work, re.sub(r"\W+", "_", name))
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for f, data in files.items():
            open(os.path.join(d, f), "wb").write(data)
        cmd = [pmuemu, "run", "--host", host] + (["--kernel", "k"] if "k" in files else []) + args
        p = subprocess.run(cmd, cwd=d, capture_output=True, timeout=60)
        err = p.stderr.decode(errors="replace").strip()
        want_status = 64 if "goes with" in (want or "") else 65
        check(p.returncode == want_status, f"{name}: exit {p.returncode}, want {want_status} ({err})")
        lines = err.splitlines()
        check(len(lines) == 1 and lines[0].startswith("pmuemu: error: "), f"{name}: not one error line: {err!r}")
        if want is not None:
            check(err == "pmuemu: error: " + want, f"{name}: stderr {err!r}, want {want!r}")
        check(p.stdout == b"", f"{name}: stdout not empty: {p.stdout[:200]!r}")


def probe(pmuemu, host, work, img, extra):
    rc, out, err = run(pmuemu, host, ["--kernel", img] + extra, timeout=60)
    check(rc == 0, f"probe {extra}: exit {rc}: {err}")
    check(out == "probe: el1 mmu-off daif-masked x0-dtb x1-x3-zero ok\n", f"probe {extra}: output {out!r}")


def dtb(pmuemu, host, work, img):
    dtc = shutil.which("dtc")
    if dtc is None:
        print("FAIL: dtc (Debian's device-tree-compiler) is not installed: run scripts/install-deps")
        sys.exit(1)
    os.makedirs(work, exist_ok=True)
    ird = os.path.join(work, "initrd.gz")
    open(ird, "wb").write(gzip.compress(b"070701" + b"0" * 200, mtime=0))

    def dump(tag, extra):
        path = os.path.join(work, tag + ".dtb")
        rc, out, err = run(pmuemu, host, ["--kernel", img, "--dump-dtb", path] + extra, timeout=60)
        check(rc == 0, f"dtb {tag}: exit {rc}: {err}")
        dts = subprocess.run([dtc, "-I", "dtb", "-O", "dts", path], capture_output=True, text=True)
        check(dts.returncode == 0, f"dtb {tag}: dtc failed: {dts.stderr}")
        check("Warning" not in dts.stderr and "ERROR" not in dts.stderr, f"dtb {tag}: dtc complains: {dts.stderr}")
        return open(path, "rb").read(), dts.stdout

    raw, s = dump("two", ["--vcpus", "2", "--memory", "256M", "--append", "console=ttyAMA0 quiet",
                          "--initrd", ird, "--seed", "7"])
    node = lambda name: re.search(r"\n\t*" + re.escape(name) + r" \{(.*?)\n\t*\};", s, re.S)
    def prop(n, p):
        m = node(n)
        if m is None:
            return None
        v = re.search(r"\n\t*" + re.escape(p) + r"( = (.*?))?;", m.group(1))
        return None if v is None else (v.group(2) or "")
    check(prop("memory@40000000", "reg") == "<0x00 0x40000000 0x00 0x10000000>", "memory reg: 256 MiB at 0x40000000")
    check(prop("memory@40000000", "device_type") == '"memory"', "memory device_type")
    for c in ("cpu@0", "cpu@1"):
        check(prop(c, "enable-method") == '"psci"', f"{c} enable-method psci")
        check(prop(c, "device_type") == '"cpu"', f"{c} device_type")
    check(prop("cpu@1", "reg") == "<0x01>", "cpu@1 reg = MPIDR Aff0 1")
    check(node("cpu@2") is None, "no third cpu")
    check(prop("psci", "method") == '"hvc"', "psci method hvc")
    check(prop("psci", "compatible") == '"arm,psci-1.0\\0arm,psci-0.2"', "psci compatible")
    # Distributor 64 KiB; redistributors 128 KiB per vCPU, where the VMM placed them.
    check(prop("intc@8000000", "reg") == "<0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 0x00 0x40000>", "gic-v3 reg")
    check(prop("intc@8000000", "compatible") == '"arm,gic-v3"', "gic-v3 compatible")
    check(prop("intc@8000000", "interrupt-controller") == "", "gic interrupt-controller")
    check(prop("timer", "interrupts") == "<0x01 0x0d 0x04 0x01 0x0e 0x04 0x01 0x0b 0x04 0x01 0x0a 0x04>",
          "timer PPIs 13 14 11 10")
    check(prop("pmu", "compatible") == '"arm,armv8-pmuv3"', "pmu compatible")
    check(prop("pmu", "interrupts") == "<0x01 0x07 0x04>", "pmu PPI 7 (INTID 23, the VMM's PMU_V3_IRQ)")
    check(prop("pl011@9000000", "interrupts") == "<0x00 0x01 0x04>", "pl011 SPI 1")
    check(prop("pl011@9000000", "clock-names") == '"uartclk\\0apb_pclk"', "pl011 clocks")
    check(prop("apb-pclk", "compatible") == '"fixed-clock"', "fixed clock")
    check(prop("chosen", "bootargs") == '"console=ttyAMA0 quiet"', "chosen bootargs")
    check(prop("chosen", "stdout-path") == '"/pl011@9000000"', "chosen stdout-path")
    start, end = prop("chosen", "linux,initrd-start"), prop("chosen", "linux,initrd-end")
    check(start is not None and end is not None, "chosen initrd range")
    if start and end:
        a = [int(x, 16) for x in re.findall(r"0x[0-9a-f]+", start)]
        b = [int(x, 16) for x in re.findall(r"0x[0-9a-f]+", end)]
        lo, hi = (a[0] << 32) | a[1], (b[0] << 32) | b[1]
        check(hi - lo == os.path.getsize(ird), f"initrd range {hi - lo} bytes = the file's")
        check(0x40000000 <= lo and hi <= 0x50000000 and lo % 4096 == 0, "initrd in RAM, page aligned")
    rng = prop("chosen", "rng-seed")
    check(rng is not None and len(re.findall(r"0x", rng)) == 16, "rng-seed of 64 bytes")
    check(prop("chosen", "kaslr-seed") not in (None, "<0x00 0x00>"), "kaslr-seed drawn from --seed 7")
    # Reproducible: the same inputs give the same blob; another seed another rng-seed.
    raw2, _ = dump("two-again", ["--vcpus", "2", "--memory", "256M", "--append", "console=ttyAMA0 quiet",
                                 "--initrd", ird, "--seed", "7"])
    check(raw == raw2, "same inputs, byte-identical DTB")
    _, s3 = dump("seed0", ["--vcpus", "1"])
    check("kaslr-seed = <0x00 0x00>" in s3, "--seed 0 (default): kaslr-seed 0, KASLR off")
    check(re.search(r"rng-seed = (<.*?>)", s3).group(1) != rng, "another seed, another rng-seed")
    check("pmu {" in s3, "pmu node with the PMU")
    _, s4 = dump("nopmu", ["--no-pmu"])
    check("pmu {" not in s4, "no pmu node with --no-pmu")
    # --dtb: the user's tree, its /chosen updated.
    user = os.path.join(work, "two.dtb")
    _, s5 = dump("user", ["--dtb", user, "--append", "from --append"])
    check('bootargs = "from --append";' in s5 and "cpu@1 {" in s5, "--dtb keeps the tree, updates bootargs")


def boot(pmuemu, host, work, img, initrd, extra):
    for tool, path in (("kernel Image", img), ("initramfs", initrd)):
        if not os.path.exists(path):
            print(f"FAIL: the {tool} {path} is missing: scripts/linux-guest builds it (the linux_guest_fetch test runs it)")
            sys.exit(1)
    args = ["--kernel", img, "--initrd", initrd, "--max-resets", "0",
            "--append", BOOT_ARGS + " -- echo"] + extra
    rc, out, err = run(pmuemu, host, args, stdin=b"typed into the PL011\n", timeout=900)
    vcpus = extra[extra.index("--vcpus") + 1] if "--vcpus" in extra else "1"
    check(rc == 0, f"boot {extra}: exit {rc} (want 0: PSCI SYSTEM_OFF): {err.strip()}")
    for want in ("Booting Linux on physical CPU 0x0000000000",
                 f"smp: Brought up 1 node, {vcpus} CPU",
                 "GICv3: 32 SPIs implemented" if False else "GICv3:",
                 "arch_timer: cp15 timer(s) running at 62.50MHz (virt).",
                 "9000000.pl011: ttyAMA0 at MMIO 0x9000000",
                 "Run /init as init process",
                 "init-nofp: hello from user space",
                 f"init-nofp: CPUs online: {vcpus}",
                 "init-nofp: read: typed into the PL011",
                 "init-nofp: powering off",
                 "reboot: Power down"):
        check(want in out, f"boot {extra}: console lacks {want!r}")
    m = re.search(r"hw perfevents: enabled with armv8_pmuv3 PMU driver, (\d+) counters available", out)
    check(m is not None, f"boot {extra}: the kernel's PMU driver did not probe")
    if "--pmcr-n" in extra and m:
        n = int(extra[extra.index("--pmcr-n") + 1])
        check(int(m.group(1)) == n + 1, f"boot {extra}: {m.group(1)} counters, want N + 1 = {n + 1}")
    check("Oops" not in out and "BUG" not in out and "WARNING" not in out, f"boot {extra}: kernel complained")
    if failures:
        print(out[-3000:])


def need(*paths):
    for path in paths:
        if not os.path.exists(path):
            print(f"FAIL: {path} is missing: scripts/linux-guest builds it (the linux_guest_fetch test runs it)")
            sys.exit(1)


# The kernel command line of the busybox initramfs boots; words after "--" go to /init.
BOOT_ARGS = "console=ttyAMA0 rdinit=/init cryptomgr.notests panic=-1"


def init_args(img, initrd, command, extra, params=""):
    """Boot arguments running `command` in the initramfs; `params` are more kernel parameters."""
    return ["--kernel", img, "--initrd", initrd, "--append",
            BOOT_ARGS + (" " + params if params else "") + " -- " + command] + extra


def busybox(pmuemu, host, work, img, initrd, extra):
    """Debian's busybox-static as /init: FP/SIMD user space, a shell, and `sleep 2`, which
    costs no host seconds (every vCPU waits: time skips to the timer deadline)."""
    need(img, initrd)
    import time
    t0 = time.monotonic()
    rc, out, err = run(pmuemu, host, init_args(img, initrd, 'sh -c "echo A; sleep 2; echo B; cat /proc/uptime"',
                                                ["--max-resets", "0"] + extra))
    wall = time.monotonic() - t0
    check(rc == 0, f"busybox {extra}: exit {rc}: {err.strip()}")
    check("init: running: sh -c" in out and "\nA\n" in out and "\nB\n" in out, f"busybox {extra}: no A/B output")
    m = re.search(r"\nB\n([0-9.]+) ", out)
    check(m is not None and float(m.group(1)) >= 2.0, f"busybox {extra}: guest uptime after sleep 2 is {m and m.group(1)}")
    check("init: powering off" in out and "reboot: Power down" in out, f"busybox {extra}: no power off")
    print(f"busybox {extra}: {wall:.1f} s host time for a boot with a 2 s guest sleep")


# perf's generic events and the common event Linux 6.1's PMUv3 driver maps each to (its sysfs
# name): `branches` is PC_WRITE_RETIRED there, not BR_RETIRED.
PERF_GENERIC = {"instructions": "inst_retired", "cycles": "cpu_cycles", "branches": "pc_write_retired",
                "branch-misses": "br_mis_pred", "cache-references": "l1d_cache", "cache-misses": "l1d_cache_refill",
                "stalled-cycles-frontend": "stall_frontend", "stalled-cycles-backend": "stall_backend"}
# What the PMU counts without the timing model (pmu::kInstructionClockEvents).
INSTRUCTION_CLOCK_EVENTS = {"sw_incr", "inst_retired", "cpu_cycles", "inst_spec", "chain"}


def perf(pmuemu, host, work, img, initrd, extra):
    """Debian's perf in the guest: counters the PMU driver found, and perf stat's counts.
    An event is either counted (a positive count for `ls /`) or `<not supported>`, which
    perf prints exactly when the driver's sysfs events directory (PMCEID) lacks it: never a
    fake zero. Under functional timing PMCEID advertises only what the instruction clock
    counts. Two perf runs of at most 3 event counters each, so nothing is multiplexed."""
    need(img, initrd)
    runs = [["instructions", "cycles", "branches", "branch-misses", "cache-references"],
            ["cache-misses", "stalled-cycles-frontend", "stalled-cycles-backend"]]
    cmd = ('sh -c "ls /sys/bus/event_source/devices/armv8*/events/; echo end-of-events; ' +
           "; ".join(f"perf stat -x, -e {','.join(r)} ls /" for r in runs) + '"')
    rc, out, err = run(pmuemu, host, init_args(img, initrd, cmd, ["--max-resets", "0"] + extra))
    check(rc == 0, f"perf {extra}: exit {rc}: {err.strip()}")
    n = int(extra[extra.index("--pmcr-n") + 1])
    check(f"armv8_pmuv3 PMU driver, {n + 1} counters available" in out, f"perf {extra}: want {n + 1} counters")
    after = out.split("init: running:", 1)[1].split("\n", 1)[1]
    listing = after.split("end-of-events", 1)[0]
    events = set(re.findall(r"\b([a-z0-9_]+)\b", listing))
    check("inst_retired" in events or "cpu_cycles" in events, f"perf {extra}: no PMU events listed in sysfs")
    print(f"perf {extra}: sysfs events {sorted(events)}")
    functional = "--timing" in extra and extra[extra.index("--timing") + 1] == "functional"
    if functional:
        extra_events = sorted(events - INSTRUCTION_CLOCK_EVENTS)
        check(not extra_events, f"perf {extra}: PMCEID advertises {extra_events}, which functional timing does not count")
    rows = {}
    for line in out.splitlines():
        f = line.split(",")
        if len(f) >= 3 and f[2] in PERF_GENERIC:
            rows[f[2]] = f[0]
    for ev, sysfs in PERF_GENERIC.items():
        v = rows.get(ev)
        check(v is not None, f"perf {extra}: no perf stat row for {ev}")
        if v is None:
            continue
        if sysfs in events or ev == "cycles":  # cycles: the dedicated cycle counter
            check(v.isdigit() and int(v) > 0, f"perf {extra}: {ev} = {v!r}, want a count (PMCEID has {sysfs})")
        else:
            check(v == "<not supported>", f"perf {extra}: {ev} = {v!r}, want <not supported> (PMCEID lacks {sysfs})")
    if functional:
        check(rows.get("instructions") == rows.get("cycles"), f"perf {extra}: functional timing is one cycle per instruction")
    if failures:
        print(out[-3000:])


# perf record's sampling periods: small enough for dozens of samples from `ls /`, large
# enough that the interrupt handler's own instructions stay a small part of each period.
RECORD_PERIODS = {"instructions": 10000, "cycles": 20000}
# Six events for N = 3 event counters and the cycle counter: perf multiplexes.
MUX_EVENTS = ["instructions", "instructions:u", "instructions:k", "cycles", "cycles:u", "cycles:k"]


def perf_record(pmuemu, host, work, img, initrd, extra):
    """Debian's perf record in the guest: sampling on counter overflow. perf programs each
    event counter with minus its period; every overflow raises the PMU interrupt (a PPI
    through the vGIC), whose handler records a sample and reloads the counter. So the
    samples of `ls /` must number about its count (perf stat of the same command) divided
    by the period, none may be lost, and they must fall both in the kernel and in busybox.
    A lost or late overflow interrupt, a counter that does not reload, or an overflow flag
    that is never cleared shows here as far too few samples (or a hung guest).

    Then one perf stat of more events than counters (`cat /proc/kallsyms`, long enough for
    perf's rotation): every event runs part of the time, and the scaled counts of the user
    and the kernel parts (the event type's EL filter) add up to the whole."""
    need(img, initrd)
    events = list(RECORD_PERIODS)
    cmd = (f'sh -c "perf stat -x, -e {",".join(events)} ls /; ' +
           "; ".join(f"perf record -e {ev} -c {p} -o /tmp/{ev}.data ls /" for ev, p in RECORD_PERIODS.items()) +
           "; " + "; ".join(f"echo report-{ev}; perf report -i /tmp/{ev}.data --stdio --stdio-color never --sort dso 2>&1"
                            for ev in events) + '; echo end-of-reports; ' +
           f'perf stat -x, -e {",".join(MUX_EVENTS)} cat /proc/kallsyms >/dev/null"')
    rc, out, err = run(pmuemu, host, init_args(img, initrd, cmd, ["--max-resets", "0"] + extra))
    check(rc == 0, f"perf record {extra}: exit {rc}: {err.strip()}")
    after = out.split("init: running:", 1)[-1].split("\n", 1)[-1]  # past the echoed command line
    counts = {}
    for line in after.split("\nreport-", 1)[0].splitlines():
        f = line.split(",")
        if len(f) >= 3 and f[2] in RECORD_PERIODS and f[0].isdigit():
            counts[f[2]] = int(f[0])
    captured = [int(x) for x in re.findall(r"Captured and wrote [0-9.]+ MB /tmp/\S+ \(([0-9]+) samples\)", after)]
    check(len(captured) == len(events), f"perf record {extra}: want {len(events)} recordings, got {captured}")
    reports = after.split("\nend-of-reports", 1)[0].split("\nreport-")[1:]
    check(len(reports) == len(events), f"perf record {extra}: want {len(events)} reports, got {len(reports)}")
    for ev, samples, report in zip(events, captured, reports):
        count = counts.get(ev)
        check(count is not None and count > 0, f"perf record {extra}: no perf stat count for {ev}")
        if not count:
            continue
        want = count / RECORD_PERIODS[ev]
        print(f"perf record {extra}: {ev}: {samples} samples, {count} counted / period {RECORD_PERIODS[ev]} = {want:.1f}")
        check(0.8 * want <= samples <= 1.5 * want,
              f"perf record {extra}: {ev}: {samples} samples, want about {want:.1f} ({count} / {RECORD_PERIODS[ev]})")
        m = re.search(r"# Samples: ([0-9]+)\s+of event '([a-z-]+)'", report)
        check(m is not None and int(m.group(1)) == samples and m.group(2) == ev,
              f"perf record {extra}: {ev}: the report's header is {m and m.group(0)!r}")
        check("# Total Lost Samples: 0" in report, f"perf record {extra}: {ev}: samples were lost")
        dsos = dict((d, float(p)) for p, d in re.findall(r"^\s+([0-9.]+)%\s+(\S+)\s*$", report, re.M))
        check(dsos.get("[kernel.kallsyms]", 0) > 0 and dsos.get("busybox", 0) > 0,
              f"perf record {extra}: {ev}: want samples in the kernel and in busybox, got {dsos}")
    runs = perf_rows(after.split("\nend-of-reports", 1)[-1])
    check(len(runs) == 1 and len(runs[0]) == len(MUX_EVENTS), f"perf stat {extra}: want one run of {len(MUX_EVENTS)} rows, got {runs}")
    if len(runs) == 1:
        rows = {ev: (count, running) for count, ev, running in runs[0]}
        print(f"perf stat {extra}: multiplexed {rows}")
        for ev in MUX_EVENTS:
            count, running = rows.get(ev, ("", ""))
            check(count.isdigit() and int(count) > 0, f"perf stat {extra}: {ev} = {count!r}, want a count")
            check(re.fullmatch(r"[0-9.]+", running) is not None and 0 < float(running) < 100,
                  f"perf stat {extra}: {ev} ran {running!r} % of the time, want multiplexing (0-100)")
        for ev in ("instructions", "cycles"):
            whole, parts = (rows.get(ev, ("0",))[0], [rows.get(f"{ev}:{m}", ("0",))[0] for m in "uk"])
            if whole.isdigit() and all(p.isdigit() for p in parts) and int(whole) > 0:
                ratio = (int(parts[0]) + int(parts[1])) / int(whole)
                check(0.9 <= ratio <= 1.1, f"perf stat {extra}: {ev}:u + {ev}:k = {ratio:.3f} x {ev}")
    if failures:
        print(out[-3000:])


def reset(pmuemu, host, work, img, initrd, extra):
    """PSCI SYSTEM_RESET (busybox `reboot -f`): the VMM reruns the boot protocol, the kernel
    boots again, and --max-resets bounds it."""
    need(img, initrd)
    rc, out, err = run(pmuemu, host, init_args(img, initrd, "reboot -f", ["--max-resets", "1"] + extra))
    check(rc == 3, f"reset {extra}: exit {rc}, want 3")
    check(err.strip() == "pmuemu: error: guest requested more than 1 system resets (--max-resets)", f"reset: {err!r}")
    check(out.count("Booting Linux on physical CPU") == 2, f"reset {extra}: want 2 boots")
    check(out.count("init: running: reboot -f") == 2, f"reset {extra}: want /init twice")


def cluster_counters(host):
    """PMCR_EL0.N of each cluster of a host file, in pCPU order: [(first pCPU, cpus, N)]."""
    out, first = [], 0
    for m in re.finditer(r"cpus:\s*(\d+),\s*pmu:\s*\{\s*counters:\s*(\d+)", open(host).read()):
        out.append((first, int(m.group(1)), int(m.group(2))))
        first += int(m.group(1))
    return out


def counters_reported(out):
    return [int(n) for n in re.findall(r"armv8_pmuv3 PMU driver, (\d+) counters available", out)]


def reset_lines(err):
    """--trace reset-summary: (vCPU, pCPU, cause) per reset."""
    return [(int(v), int(p), c) for v, p, c in re.findall(r"reset: vCPU (\d+) on pCPU (\d+) \(([^)]*)\)", err)]


# Functional timing reaches the reset of `reboot -f` after about 295 M guest instructions
# (1 vCPU, busybox, cryptomgr.notests): migrating every 200 M puts the vCPU thread on the
# second pCPU of its set from 200 M to 400 M, so the first boot's reset runs on the first
# pCPU and the system reset on the second, with some 100 M instructions of margin each way.
MIGRATE_EVERY = 200_000_000


def reboot_cluster(pmuemu, host, work, img, initrd, extra):
    """The mission's first story told by Linux: `reboot -f` (PSCI SYSTEM_RESET) while the
    vCPU thread runs on the big cluster, after booting on the LITTLE one. Under 6.6 the
    vCPU reset takes PMCR_EL0.N from the physical CPU it runs on, so the rebooted kernel
    reports the big cluster's counters; from 6.7 N belongs to the VM and the reboot keeps it."""
    need(img, initrd)
    era = extra[extra.index("--kvm") + 1]
    clusters = cluster_counters(host)
    check(len(clusters) == 2, f"reboot-cluster: {host} must have two clusters with pmu counters, has {clusters}")
    if failures:
        return
    (little, _, n_little), (big, _, n_big) = clusters
    jpath = os.path.join(work, "run.json")
    rc, out, err = run(pmuemu, host, init_args(img, initrd, "reboot -f", [
        "--max-resets", "1", "--json", jpath, "--affinity", f"0={little},{big}", "--migrate-every", str(MIGRATE_EVERY),
        "--trace", "reset-summary", "--timing", "functional"] + extra), timeout=120)
    check(rc == 3, f"reboot-cluster {era}: exit {rc}, want 3 (--max-resets 1 ends the second reboot)")
    check(err.strip().splitlines()[-1:] == ["pmuemu: error: guest requested more than 1 system resets (--max-resets)"],
          f"reboot-cluster {era}: last stderr line {err.strip().splitlines()[-1:]}")
    resets = reset_lines(err)
    check(resets == [(0, little, "KVM_ARM_VCPU_INIT"), (0, big, "KVM_ARM_VCPU_INIT")],
          f"reboot-cluster {era}: want the boot's reset on pCPU {little} and the system reset on pCPU {big}, got {resets}")
    reported = counters_reported(out)
    check(out.count("init: running: reboot -f") == 2, f"reboot-cluster {era}: want /init twice")
    # The kernel's count is the vCPU's PMCR_EL0.N after its reset, plus the cycle counter.
    # The kernel's count is the vCPU's PMCR_EL0.N (read back with KVM_GET_ONE_REG at the
    # end of the run) plus the cycle counter.
    import json
    regs = json.load(open(jpath))["vcpus"][0]["registers"]
    n_end = (int(regs["PMCR_EL0"], 16) >> 11) & 0x1F
    check(reported[-1:] == [n_end + 1], f"reboot-cluster {era}: the kernel reported {reported}, PMCR_EL0.N is {n_end}")
    want_after = n_big + 1 if era == "6.6" else n_little + 1
    check(reported == [n_little + 1, want_after],
          f"reboot-cluster {era}: counters before/after the reboot {reported}, want {[n_little + 1, want_after]}")
    print(f"reboot-cluster {era}: counters available before and after the reboot on pCPU {big}: {reported}")
    if failures:
        print(out[-2000:], err[-2000:])


# The snapshot story. perf counts seven events on the six event counters and the cycle
# counter of a big core (the guest's driver places them in this order: `cycles` on the cycle
# counter, the others on event counters 0-5); all of them count under functional timing.
SNAP_EVENTS = "cycles,instructions,instructions:u,instructions:k,cycles:u,cycles:k,inst_spec"
# /init runs perf, then a loop of some 120 M guest instructions that the save stops inside,
# then perf again (on the destination) and a reboot (there too).
SNAP_COMMAND = (f'sh -c "perf stat -x, -e {SNAP_EVENTS} ls /; echo saving; i=0; while [ $i -lt 8000 ]; '
                f'do i=$((i+1)); done; echo loop done; perf stat -x, -e {SNAP_EVENTS} ls /; reboot -f"')
# perf and `echo saving` end about 334 M instructions into the run (functional timing); the
# loop ends about 450 M.
SNAP_AT = 390_000_000


def perf_rows(out):
    """The rows of each `perf stat -x,` in the console: [[(count, event, running %)]]."""
    runs, cur = [], None
    for line in out.splitlines():
        f = line.split(",")
        if len(f) >= 5 and re.fullmatch(r"\d+|<not counted>|<not supported>", f[0]) and re.fullmatch(r"[a-z_]+(:[uk])?", f[2]):
            if cur is None:
                cur = []
                runs.append(cur)
            cur.append((f[0], f[2], f[4]))
        else:
            cur = None
    return runs


def snapshot_save(pmuemu, host, work, img, initrd, extra):
    """A Linux VM on the big cluster of a host (vCPU thread and VMM thread on pCPU 4: under
    6.6 its reset gives N = 6, from 6.7 its first init picks the big PMU, N = 6), saved in
    the middle of its work under the era given (`--kvm ERA`, default 6.6)."""
    need(img, initrd)
    snap = extra[0]
    era = extra[extra.index("--kvm") + 1] if "--kvm" in extra else "6.6"
    big = cluster_counters(host)[-1]
    args = init_args(img, initrd, SNAP_COMMAND, ["--kvm", era, "--timing", "functional", "--affinity", f"0={big[0]}",
                                                 "--vmm-cpu", str(big[0]), "--save", snap,
                                                 "--stop-after-insns", str(SNAP_AT)])
    if os.path.exists(snap):
        os.remove(snap)
    rc, out, err = run(pmuemu, host, args, timeout=120)
    check(rc == 0, f"snapshot-save: exit {rc}: {err.strip()}")
    check(counters_reported(out) == [big[2] + 1], f"snapshot-save: want {big[2] + 1} counters available")
    check("\nsaving\n" in out and "\nloop done\n" not in out,
          f"snapshot-save: the save at {SNAP_AT} instructions is not inside the loop (SNAP_AT needs adjusting)")
    rows = perf_rows(out)
    check(len(rows) == 1 and len(rows[0]) == 7, f"snapshot-save: want one perf stat of 7 rows, got {rows}")
    if rows and len(rows[0]) == 7:
        check(all(c.isdigit() and int(c) > 10000 for c, _, _ in rows[0]), f"snapshot-save: every event counts: {rows[0]}")
    check(os.path.exists(snap), f"snapshot-save: {snap} not written")
    if failures:
        print(out[-3000:], err[-2000:])


def snapshot_restore(pmuemu, host, work, snap, dest, img, initrd, extra):
    """The saved VM on a host whose PMU has 4 counters (`dest`). 6.7: KVM keeps its own N and
    the VMM refuses the restore before any guest instruction. 6.6: the saved PMCR_EL0 is
    taken as is, the guest keeps believing in 6 counters and perf reads 0 from the two the
    destination cannot back; its next reboot there gets the destination's reset (4 + 1)
    and perf then says `<not counted>` for what does not fit."""
    need(snap, img, initrd)
    era = extra[extra.index("--kvm") + 1]
    n_dest = cluster_counters(dest)[0][2]
    jpath = os.path.join(work, "restore.json")
    # The kernel and initrd, as QEMU's -incoming is given the source's -kernel: what the
    # restored VM's reboot boots.
    rc, out, err = run(pmuemu, dest, ["--restore", snap, "--kernel", img, "--initrd", initrd, "--append",
                                       init_args(img, initrd, SNAP_COMMAND, [])[-1], "--timing", "functional",
                                       "--max-resets", "1", "--json", jpath] + extra, timeout=120)
    if era != "6.6":
        check(rc == 6, f"snapshot-restore {era}: exit {rc}, want 6 (restore refused)")
        want = (f"pmuemu: error: restore refused: the snapshot's PMCR_EL0.N is 6 but the destination kept "
                f"N = {n_dest} on vcpu0 (its PMU allows at most {n_dest} counters)")
        check(err.strip() == want, f"snapshot-restore {era}: stderr {err.strip()!r}, want {want!r}")
        check(out == "", f"snapshot-restore {era}: the guest ran: {out[:300]!r}")
        return
    check(rc == 3, f"snapshot-restore 6.6: exit {rc}, want 3 (the second reboot, --max-resets 1): {err.strip()}")
    check(out.startswith("loop done\n"), f"snapshot-restore 6.6: the guest does not continue where it stopped: {out[:200]!r}")
    rows = perf_rows(out)
    check(len(rows) >= 2, f"snapshot-restore 6.6: want perf stat before and after the reboot, got {len(rows)}")
    if len(rows) < 2 or len(rows[0]) != 7:
        print(out[-3000:])
        return
    # Event counters n_dest and above exist for the guest (N = 6) but not on this host.
    names = SNAP_EVENTS.split(",")
    on_counter = {names[0]: None}
    for i, name in enumerate(names[1:]):
        on_counter[name] = i
    for (count, name, _), want_name in zip(rows[0], names):
        idx = on_counter[want_name]
        check(name == want_name, f"snapshot-restore 6.6: row {name}, want {want_name}")
        if idx is not None and idx >= n_dest:
            check(count == "0", f"snapshot-restore 6.6: {name} on guest counter {idx} reads {count}, want a silent 0")
        else:
            check(count.isdigit() and int(count) > 10000, f"snapshot-restore 6.6: {name} reads {count}, want a count")
    # After the reboot on the destination: its reset's N. The guest now knows it has n_dest
    # event counters, and perf says `<not counted>` for the events that did not fit instead
    # of a silent 0.
    check(counters_reported(out) == [n_dest + 1], f"snapshot-restore 6.6: after the reboot want {n_dest + 1} counters, "
                                                   f"got {counters_reported(out)}")
    for (count, name, _), want_name in zip(rows[1], names):
        idx = on_counter[want_name]
        want = "<not counted>" if idx is not None and idx >= n_dest else "a count"
        got = "a count" if count.isdigit() and int(count) > 10000 else count
        check(got == want, f"snapshot-restore 6.6: after the reboot {name} reads {count}, want {want}")
    if failures:
        print(out[-3000:], err[-2000:])


def drive(pmuemu, host, work, img, initrd, extra):
    """virtio-mmio block devices (--drive): the guest mounts an ext4 image built by mke2fs -d
    (read-only drive, /dev/vda) and reads a file from it, writes a block to a raw read-write
    image (/dev/vdb) that the host finds in the file after the run, and has its write to the
    read-only drive refused (VIRTIO_BLK_F_RO). Bad --drive specs: one error line, 64 or 65."""
    need(img, initrd)
    root, fs, raw = os.path.join(work, "root"), os.path.join(work, "fs.img"), os.path.join(work, "raw.img")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    text = "read by the guest from an ext4 image\n"
    open(os.path.join(root, "hello.txt"), "w").write(text)
    if os.path.exists(raw):
        os.remove(raw)
    mkfs_ext4(root, fs, "8M")
    open(raw, "wb").write(bytes(64 * 512))
    fs_before = open(fs, "rb").read()
    marker = "written-by-the-guest"
    cmd = (f'sh -c "mkdir /mnt; mount -t ext4 -o ro /dev/vda /mnt && cat /mnt/hello.txt; '
           f'echo {marker} | dd of=/dev/vdb bs=512 seek=3 conv=sync,fsync; '
           f'dd if=/dev/zero of=/dev/vda count=1 conv=fsync || echo vda-write-refused"')
    rc, out, err = run(pmuemu, host, init_args(img, initrd, cmd, ["--max-resets", "0", "--drive", fs + ",readonly",
                                                                   "--drive", raw] + extra), timeout=120)
    check(rc == 0, f"drive: exit {rc}: {err.strip()}")
    check("[vda] 16384 512-byte logical blocks" in out and "[vdb] 64 512-byte logical blocks" in out,
          "drive: the guest's virtio_blk did not find both drives with their sizes")
    check("\n" + text in out, "drive: the guest did not print the file it read from the ext4 drive")
    check("vda-write-refused" in out, "drive: a write to the read-only drive was not refused")
    data = open(raw, "rb").read()
    want = (marker + "\n").encode().ljust(512, b"\0")
    check(data[3 * 512:4 * 512] == want, f"drive: block 3 of {raw} after the run is {data[3 * 512:3 * 512 + 32]!r}")
    check(data[:3 * 512] == bytes(3 * 512) and data[4 * 512:] == bytes(60 * 512), "drive: other blocks changed")
    check(open(fs, "rb").read() == fs_before, "drive: the read-only image changed")
    if failures:
        print(out[-3000:])
    # Bad specs and files.
    empty = os.path.join(work, "empty.img")
    open(empty, "wb").close()
    for args, status, want in (
            (["--drive", fs + ",rw"], 64, f"--drive '{fs},rw': unknown option 'rw' (the only option is 'readonly')"),
            (["--drive", ",readonly"], 64, "--drive ',readonly': expected FILE or FILE,readonly"),
            (["--drive", os.path.join(work, "nope.img")], 65,
             f"{os.path.join(work, 'nope.img')}: cannot open drive image: No such file or directory"),
            (["--drive", empty], 65, f"{empty}: drive image is 0 bytes, smaller than one 512-byte sector"),
            (["--drive", work], 65, f"{work}: cannot open drive image: Is a directory"),
            (["--drive", work + ",readonly"], 65, f"{work}: drive image is not a regular file")):
        rc, out, err = run(pmuemu, host, ["--kernel", img, "--initrd", initrd] + args, timeout=60)
        check(rc == status and err.strip() == "pmuemu: error: " + want and out == "",
              f"drive {args}: exit {rc} (want {status}), stderr {err.strip()!r} (want {want!r})")
    p = subprocess.run([pmuemu, "run", "--host", host, "--guest", img, "--drive", raw], capture_output=True, text=True)
    check(p.returncode == 64 and p.stderr.strip() == "pmuemu: error: --drive goes with --kernel IMAGE",
          f"drive without --kernel: exit {p.returncode}, {p.stderr.strip()!r}")


def cpio_files(path):
    """The regular files of a gzipped newc initramfs, {name: bytes} (symlinks and
    directories left out)."""
    data, out, off = gzip.open(path).read(), {}, 0
    while off + 110 <= len(data):
        h = data[off:off + 110]
        if h[:6] != b"070701":
            raise ValueError(f"{path}: no newc header at {off}")
        mode, size, namesize = int(h[14:22], 16), int(h[54:62], 16), int(h[94:102], 16)
        name = data[off + 110:off + 110 + namesize - 1].decode()
        off = (off + 110 + namesize + 3) & ~3
        if name == "TRAILER!!!":
            break
        if mode & 0o170000 == 0o100000:
            out[name] = data[off:off + size]
        off = (off + size + 3) & ~3
    return out


def mkfs_ext4(root, image, size, label=None):
    """An ext4 image of the directory `root` (files owned by root), reproducible: fixed time,
    UUID and hash seed."""
    mke2fs = shutil.which("mke2fs") or shutil.which("/sbin/mke2fs")
    if mke2fs is None:
        print("FAIL: mke2fs (Debian's e2fsprogs) is not installed: run scripts/install-deps")
        sys.exit(1)
    if os.path.exists(image):
        os.remove(image)
    p = subprocess.run([mke2fs, "-q", "-F", "-t", "ext4"] + (["-L", label] if label else []) +
                       ["-U", "2d3f6a1e-7b1c-4e58-9a4b-0c1d2e3f4a5b",
                        "-E", "root_owner=0:0,hash_seed=5e1f0c2a-3b4d-4e6f-8a9b-1c2d3e4f5a6b", "-d", root, image, size],
                       capture_output=True, text=True, env=dict(os.environ, E2FSPROGS_FAKE_TIME="1"))
    check(p.returncode == 0, f"mke2fs {image}: {p.stderr.strip()}")


def root_drive(pmuemu, host, work, img, initrd, extra):
    """A root file system on a drive (root=): the initramfs's /init mounts it, moves /dev,
    /proc and /sys into it and hands over to its init (switch_root), as Debian's initramfs
    does. The drive holds busybox and two init scripts. Checked: PID 1 is the drive's
    init with the arguments after "--"; ro by default (a write refused), rw and init= and
    root=LABEL= honoured, the file the guest wrote read back on the host by debugfs; a
    missing device and a missing init leave the guest in the initramfs with one line."""
    need(img, initrd)
    debugfs = shutil.which("debugfs") or shutil.which("/sbin/debugfs")
    if debugfs is None:
        print("FAIL: debugfs (Debian's e2fsprogs) is not installed: run scripts/install-deps")
        sys.exit(1)
    root, fs = os.path.join(work, "rootfs"), os.path.join(work, "root.img")
    shutil.rmtree(root, ignore_errors=True)
    for d in ("bin", "sbin", "dev", "proc", "sys", "tmp"):
        os.makedirs(os.path.join(root, d))
    busybox_elf = cpio_files(initrd).get("bin/busybox")
    check(busybox_elf is not None, f"{initrd} holds no bin/busybox")
    if busybox_elf is None:
        return
    open(os.path.join(root, "bin", "busybox"), "wb").write(busybox_elf)
    os.chmod(os.path.join(root, "bin", "busybox"), 0o755)
    for a in ("sh", "cat", "echo", "grep", "poweroff", "sync", "mount"):
        os.symlink("busybox", os.path.join(root, "bin", a))
    init = ("#!/bin/sh\n"
            "echo \"$1: pid $$, args: $(shift; echo $*)\"\n"
            "grep '^/dev/[^ ]* / ' /proc/mounts\n"
            "grep -c . /proc/cpuinfo >/dev/null && echo \"proc-moved: yes\"\n"
            "[ -c /dev/console ] && echo \"dev-moved: yes\"\n"
            "if echo \"written by $1\" > /written.txt 2>/dev/null; then sync; echo write: done; else echo write: refused; fi\n"
            "poweroff -f\n")
    for name, tag in (("init", "drive-init"), ("other-init", "other-init")):
        path = os.path.join(root, "sbin", name)
        # $1 is the tag: the scripts take it as their first argument from a wrapper line.
        open(path, "w").write(init.replace("#!/bin/sh\n", f"#!/bin/sh\nset -- {tag} \"$@\"\n", 1))
        os.chmod(path, 0o755)
    mkfs_ext4(root, fs, "16M", "pmuemu-root")
    if failures:
        return

    def boot_with(params, tail, drive_args):
        return run(pmuemu, host, init_args(img, initrd, tail, ["--max-resets", "0"] + drive_args + extra, params),
                   timeout=120)

    # root=/dev/vda, read-only by default, arguments after "--" passed on.
    rc, out, err = boot_with("root=/dev/vda", "one two", ["--drive", fs])
    check(rc == 0, f"root=/dev/vda: exit {rc}: {err.strip()}")
    check("init: root file system /dev/vda (ro), switching to /sbin/init" in out,
          "root=/dev/vda: /init did not announce the switch")
    check("drive-init: pid 1, args: one two" in out, "root=/dev/vda: the drive's init is not PID 1 with the arguments")
    check(re.search(r"^/dev/vda / ext4 ro[,\s]", out, re.M) is not None, "root=/dev/vda: / is not /dev/vda, ext4, ro")
    check("proc-moved: yes" in out and "dev-moved: yes" in out, "root=/dev/vda: /proc or /dev did not move along")
    check("write: refused" in out, "root=/dev/vda: a write to the read-only root was not refused")
    if failures:
        print(out[-3000:])
    p = subprocess.run([debugfs, "-R", "cat /written.txt", fs], capture_output=True, text=True)
    check("written by" not in p.stdout, "root=/dev/vda: a file reached the image through a read-only root")

    # By label, read-write, another init.
    rc, out, err = boot_with("root=LABEL=pmuemu-root rw init=/sbin/other-init", "three", ["--drive", fs])
    check(rc == 0, f"root=LABEL=: exit {rc}: {err.strip()}")
    check("other-init: pid 1, args: three" in out, "root=LABEL= rw init=: the other init did not run as PID 1")
    check(re.search(r"^/dev/vda / ext4 rw[,\s]", out, re.M) is not None, "root=LABEL= rw: / is not /dev/vda, ext4, rw")
    check("write: done" in out, "root=LABEL= rw: the write failed")
    if failures:
        print(out[-3000:])
    p = subprocess.run([debugfs, "-R", "cat /written.txt", fs], capture_output=True, text=True)
    check(p.stdout == "written by other-init\n", f"rw root: the host reads {p.stdout!r} from the image (debugfs)")

    # Nothing to switch to: one line, then the initramfs runs the command as without root=.
    # (The drive stays writable: the rw run above powered off without unmounting, and ext4
    # replays its journal even for a read-only mount, which a read-only drive refuses.)
    for params, line in (
            ("root=/dev/vdb", "init: root=/dev/vdb: no such block device after 5 s; staying in the initramfs"),
            ("root=/dev/vda rootfstype=vfat",
             "init: root=/dev/vda: cannot mount /dev/vda (ro, vfat); staying in the initramfs"),
            ("root=/dev/vda init=/sbin/nope",
             "init: root=/dev/vda: no executable /sbin/nope on /dev/vda; staying in the initramfs")):
        rc, out, err = boot_with(params, "echo still-in-initramfs", ["--drive", fs])
        check(rc == 0 and line in out and "init: running: echo still-in-initramfs\nstill-in-initramfs" in out,
              f"{params}: exit {rc}, want the line {line!r} and the command run in the initramfs")


class Console:
    """pmuemu run with its console on pipes: read what the guest printed until a condition
    holds (the guest may be waiting for input, so the output is read as it comes), type
    lines, then close the input and wait for the end. Use as a context manager: a run still
    going at the end is killed."""

    def __init__(self, cmd):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.out = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def wait_for(self, done, limit):
        """Reads until done(output so far) or `limit` seconds; returns done(output)."""
        import select
        import time
        end = time.monotonic() + limit
        while not done(self.out) and time.monotonic() < end:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                self.out += chunk
        return done(self.out)

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def finish(self, limit):
        """Closes the input, waits for the end; returns (status, all the output as text)."""
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=limit)
        self.out += self.proc.stdout.read()
        return rc, self.out.decode(errors="replace")


def debian_system(pmuemu, host, work, img, initrd, image, extra):
    """A Debian 12 system on a drive (scripts/debian-rootfs): systemd boots it to the login
    prompt on the console, root logs in without a password, the shell reports Debian 12,
    the kernel of the boot and a system whose units all started (or only degraded), and
    `poweroff` ends the run through systemd's shutdown and PSCI SYSTEM_OFF (status 0)."""
    need(img, initrd, image)
    disk = os.path.join(work, "debian.img")
    # The boot writes to its drive: a copy keeps the built image as the script left it.
    p = subprocess.run(["cp", "--sparse=always", image, disk], capture_output=True, text=True)
    check(p.returncode == 0, f"debian-system: cp {image}: {p.stderr.strip()}")
    kver = open(os.path.join(os.path.dirname(img), "kernel-version")).read().strip()
    with Console([pmuemu, "run", "--host", host, "--kernel", img, "--initrd", initrd, "--drive", disk,
                  "--memory", "1G", "--max-resets", "0", "--append",
                  "console=ttyAMA0 cryptomgr.notests root=LABEL=debian-root rw"] + extra) as con:
        ok = con.wait_for(lambda o: b"pmuemu login: " in o, 900)
        check(ok, "debian-system: no login prompt on the console")
        if ok:
            con.send("root")
            ok = con.wait_for(lambda o: b"root@pmuemu:~# " in o, 300)
            check(ok, "debian-system: root's login gave no shell prompt")
        if ok:
            con.send("echo debian=$(cat /etc/debian_version) kernel=$(uname -r) state=$(systemctl is-system-running) "
                     "pid1=$(cat /proc/1/comm) end-$((6 * 7))")
            ok = con.wait_for(lambda o: b"end-42" in o, 300)
            check(ok, "debian-system: the shell did not run the command")
        if ok:
            # Without the terminal's escape sequences (bash's bracketed paste) and CRs.
            text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", con.out.decode(errors="replace")).replace("\r", "")
            m = re.search(r"^debian=(\S+) kernel=(\S+) state=(\S+) pid1=(\S+) end-42$", text, re.M)
            check(m is not None, "debian-system: no result line")
            if m:
                print(f"debian-system: {m.group(0)}")
                check(m.group(1).startswith("12."), f"debian-system: /etc/debian_version is {m.group(1)}")
                check(m.group(2) == kver, f"debian-system: uname -r {m.group(2)}, want {kver}")
                check(m.group(3) in ("running", "degraded"), f"debian-system: systemd state {m.group(3)}")
                check(m.group(4) == "systemd", f"debian-system: PID 1 is {m.group(4)}")
            con.send("poweroff")
        rc, text = con.finish(600)
    with open(os.path.join(work, "console.log"), "w") as f:
        f.write(text)
    check(rc == 0, f"debian-system: exit {rc}")
    check("reboot: Power down" in text, "debian-system: no power-down after poweroff")
    for bad in ("Kernel panic", "Oops", "BUG:", "[FAILED]"):
        check(bad not in text, f"debian-system: the console shows {bad!r}")
    if failures:
        print(text[-4000:])

def prompt(pmuemu, host, work, img, initrd, extra):
    """A prompt without a newline reaches the host while the guest waits: busybox's shell
    on the console (no command after "--") prints "/ # " and waits for input; the test
    types nothing until it has read the prompt (within 120 s), then a command and
    `poweroff -f`. Without the console's flush of a quiet line the prompt stays in pmuemu's
    output buffer until the next newline, and the test fails."""
    need(img, initrd)

    def at_prompt(out):  # busybox's shell asks for the cursor position after its prompt
        return out.split(b"\n")[-1].rstrip(b"\x1b[6n").endswith(b"# ")
    with Console([pmuemu, "run", "--host", host, "--kernel", img, "--initrd", initrd, "--append",
                  BOOT_ARGS, "--max-resets", "0"] + extra) as con:
        ok = con.wait_for(at_prompt, 120)
        last = con.out.split(b"\n")[-1]
        check(ok, f"prompt {extra}: no shell prompt reached the host while the guest waited (last line {last!r})")
        con.send("echo typed-$((6 * 7)); poweroff -f")
        rc, text = con.finish(120)
    check(rc == 0 and "typed-42" in text, f"prompt {extra}: exit {rc}, the typed command's output missing")
    if failures:
        print(text[-2000:])

def tty(pmuemu, host, work, img, initrd, extra):
    """A terminal on stdin (a pty here): raw for the run (no local echo or line editing, the
    guest's tty echoes), restored afterwards, also when a second SIGINT ends pmuemu at once.
    A first SIGINT stops a guest that waits for input (status 130)."""
    import pty
    import select
    import signal
    import termios
    import time
    need(img, initrd)

    def session(command, script):
        master, slave = pty.openpty()
        before = termios.tcgetattr(slave)
        p = subprocess.Popen([pmuemu, "run", "--host", host] + init_args(img, initrd, command, ["--max-resets", "0"] + extra),
                             stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        out = b""
        during = None

        def wait_for(text, limit=120):
            nonlocal out
            end = time.monotonic() + limit
            while text.encode() not in out and time.monotonic() < end and p.poll() is None:
                r, _, _ = select.select([master], [], [], 0.2)
                if r:
                    try:
                        out += os.read(master, 65536)
                    except OSError:
                        break
            return text.encode() in out
        for step in script:
            if step[0] == "wait":
                check(wait_for(step[1]), f"tty: never saw {step[1]!r}: {out[-500:]!r}")
                during = termios.tcgetattr(slave)
            elif step[0] == "type":
                os.write(master, step[1])
            elif step[0] == "signal":  # these signals back to back
                time.sleep(0.3)
                for sig in step[1]:
                    p.send_signal(sig)
        rc = None
        end = time.monotonic() + 120
        while rc is None and time.monotonic() < end:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    pass
            rc = p.poll()
        if rc is None:
            p.kill()
            check(False, "tty: pmuemu did not end")
        after = termios.tcgetattr(slave)
        os.close(master)
        os.close(slave)
        return rc, out.decode(errors="replace").replace("\r\n", "\n"), before, during, after

    # A line typed at the terminal: the guest reads it; only the guest echoes it.
    rc, out, before, during, after = session('sh -c "read line; echo got:$line"',
                                             [("wait", "init: running"), ("type", b"typed-line\r")])
    check(rc == 0, f"tty: exit {rc}: {out[-500:]!r}")
    check("got:typed-line" in out, f"tty: the guest did not read the line: {out[-500:]!r}")
    check(out.count("typed-line") == 2, f"tty: want the guest's echo and its output, no local echo: {out[-500:]!r}")
    if during:
        check(not (during[3] & termios.ICANON) and not (during[3] & termios.ECHO) and during[3] & termios.ISIG,
              "tty: during the run the terminal is not raw (ICANON/ECHO off, ISIG on)")
    check(after == before, "tty: the terminal mode was not restored at exit")
    # SIGINT while the guest waits for input: a clean stop. Two signals at once (two kinds,
    # since a second SIGINT pending beside the first would merge with it): the second ends
    # the process at once (std::_Exit, no destructors). The terminal comes back both times.
    for sigs, said, statuses in (([signal.SIGINT], "pmuemu: error: stopped by SIGINT", (130,)),
                                 ([signal.SIGINT, signal.SIGTERM], " again: exiting at once", (130, 143))):
        rc, out, before, _, after = session('sh -c "read line"', [("wait", "init: running"), ("signal", sigs)])
        check(rc in statuses, f"tty: signals {sigs}: exit {rc}, want {statuses}: {out[-300:]!r}")
        check(said in out, f"tty: signals {sigs}: no {said!r}: {out[-300:]!r}")
        check(after == before, f"tty: signals {sigs}: the terminal mode was not restored")


def main():
    if len(sys.argv) < 5:
        print(__doc__)
        return 64
    pmuemu, host, work, what = sys.argv[1:5]
    pmuemu, host, work = os.path.abspath(pmuemu), os.path.abspath(host), os.path.abspath(work)
    rest = sys.argv[5:]
    os.makedirs(work, exist_ok=True)
    if what == "bad-input":
        bad_input(pmuemu, host, work, rest[0])
    elif what == "probe":
        probe(pmuemu, host, work, rest[0], rest[1:])
    elif what == "dtb":
        dtb(pmuemu, host, work, rest[0])
    elif what == "snapshot-restore":
        snapshot_restore(pmuemu, host, work, *(os.path.abspath(r) for r in rest[0:4]), rest[4:])
    elif what == "debian-system":
        debian_system(pmuemu, host, work, rest[0], rest[1], os.path.abspath(rest[2]), rest[3:])
    elif what == "snapshot-save":
        snapshot_save(pmuemu, host, work, rest[0], rest[1], [os.path.abspath(rest[2])] + rest[3:])
    elif what in ("boot", "busybox", "perf", "perf-record", "reset", "reboot-cluster", "drive", "root-drive", "tty",
                  "prompt"):
        {"boot": boot, "busybox": busybox, "perf": perf, "perf-record": perf_record, "reset": reset,
         "reboot-cluster": reboot_cluster, "drive": drive, "root-drive": root_drive, "tty": tty, "prompt": prompt}[what](pmuemu, host, work, rest[0], rest[1], rest[2:])
    else:
        print(__doc__)
        return 64
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
