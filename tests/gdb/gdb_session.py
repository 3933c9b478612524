#!/usr/bin/env python3
"""Scripted gdb-multiarch sessions against `pmuemu run --gdb` (docs/gdb.md), one case per run.

usage: gdb_session.py PMUEMU SOURCE_DIR BINARY_DIR --case NAME | --list

The oracle is gdb itself (Debian's gdb-multiarch) and the guest ELF: breakpoint addresses come
from gdb's symbol lookup, instruction words from llvm-objdump's disassembly, expected guest
output from the same guest run without a debugger. A missing gdb-multiarch is a failure.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

GDB = "gdb-multiarch"


class Failure(Exception):
    pass


def check(cond, what, *context):
    if not cond:
        raise Failure(what + ("\n" + "\n".join(str(c) for c in context) if context else ""))


class Emu:
    """pmuemu run --gdb ENDPOINT in the background; stdout and stderr go to files."""

    def __init__(self, ctx, args, endpoint="0", stdin=None):
        self.out = tempfile.NamedTemporaryFile("w+", delete=False, dir=ctx.tmp)
        self.err = tempfile.NamedTemporaryFile("w+", delete=False, dir=ctx.tmp)
        self.cmd = [ctx.pmuemu, "run", "--host", ctx.host] + args + ["--gdb", endpoint]
        feed = subprocess.DEVNULL
        if stdin is not None:
            feed = tempfile.TemporaryFile(dir=ctx.tmp)
            feed.write(stdin)
            feed.seek(0)
        self.p = subprocess.Popen(self.cmd, stdout=self.out, stderr=self.err, stdin=feed)
        self.where = None
        deadline = time.time() + 30
        while time.time() < deadline:
            m = re.search(r"waiting for a connection on (\S+) \(gdb: target remote (\S+)\)", self.stderr())
            if m:
                self.where = m.group(2)
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.02)
        self.p.kill()
        raise Failure("pmuemu did not announce its gdb endpoint:\n" + self.stderr())

    def port(self):
        return int(self.where.lstrip(":"))

    def stderr(self):
        with open(self.err.name) as f:
            return f.read()

    def stdout(self):
        with open(self.out.name) as f:
            return f.read()

    def wait(self, timeout=60):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            raise Failure("pmuemu did not end", self.stderr())


class Ctx:
    def __init__(self, pmuemu, src, build, tmp):
        self.pmuemu, self.src, self.build, self.tmp = pmuemu, src, build, tmp
        self.host = os.path.join(src, "configs", "big-little.yaml")

    def guest(self, name):
        for d in ("guests", os.path.join("guests", "fpsimd")):
            p = os.path.join(self.build, d, name + ".elf")
            if os.path.exists(p):
                return p
        raise Failure(f"guest {name}.elf is not built under {self.build}/guests")

    def plain(self, args, extra=(), stdin=None):
        """The same guest without a debugger: the expected outcome."""
        run = [self.pmuemu, "run", "--host", self.host] + args + list(extra)
        if stdin is None:
            p = subprocess.run(run, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        else:
            # Text mode, as Emu.stdout() reads: the PL011's CR LF line ends become LF.
            p = subprocess.run(run, capture_output=True, text=True, timeout=120, input=stdin.decode())
        return p.returncode, p.stdout

    def gdb(self, elf, where, commands, timeout=120):
        cmd = [GDB, "-nx", "-batch", "-ex", "set architecture aarch64", "-ex", "set pagination off",
               "-ex", "set confirm off"] + (["-ex", f"file {elf}"] if elf else []) + ["-ex", f"target remote {where}"]
        for c in commands:
            cmd += ["-ex", c]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return p.stdout + p.stderr

    def disassembly(self, elf):
        """address -> instruction word, from llvm-objdump."""
        p = subprocess.run(["llvm-objdump", "-d", "--no-show-raw-insn=false", elf], capture_output=True, text=True)
        if p.returncode != 0:
            p = subprocess.run(["llvm-objdump", "-d", elf], capture_output=True, text=True)
        words = {}
        for line in p.stdout.splitlines():
            m = re.match(r"\s*([0-9a-f]+):\s+([0-9a-f]{2}) ([0-9a-f]{2}) ([0-9a-f]{2}) ([0-9a-f]{2})\s", line)
            if m:
                b = [int(m.group(i), 16) for i in range(2, 6)]
                words[int(m.group(1), 16)] = b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24
        check(words, "llvm-objdump gave no disassembly of " + elf)
        return words


def values(out, key):
    """Every 'KEY=0x...' printed by the session's printf commands, in order."""
    return [int(v, 16) for v in re.findall(re.escape(key) + r"=0x([0-9a-f]+)", out)]


# ---------------------------------------------------------------------------------------
def case_break_step_detach(ctx):
    """Break on a function, read registers and a variable, step comparing with the ELF's
    disassembly, detach: the guest then runs on to the output it gives without gdb."""
    elf = ctx.guest("hello")
    status, expected = ctx.plain(["--guest", elf])
    words = ctx.disassembly(elf)
    emu = Emu(ctx, ["--guest", elf])
    steps = 6
    cmds = ['printf "ENTRY=0x%lx\\n", $pc',
            "break sdk_printf", "continue",
            'printf "HIT=0x%lx SYM=0x%lx\\n", $pc, (long)&sdk_printf',
            'printf "X0=0x%lx S=0x%lx\\n", $x0, (long)fmt',
            'printf "STR=%s|\\n", fmt',
            'printf "EL=0x%lx\\n", ($cpsr >> 2) & 3']
    for _ in range(steps):
        cmds += ["stepi", 'printf "PC=0x%lx WORD=0x%x\\n", $pc, *(unsigned int *)$pc']
    cmds += ["info threads", "delete", "detach"]
    out = ctx.gdb(elf, emu.where, cmds)
    rc = emu.wait()
    entry = values(out, "ENTRY")
    check(entry and entry[0] == 0x40080000, "the guest did not wait at its ELF entry", out)
    hit, sym = values(out, "HIT"), values(out, "SYM")
    check(hit and sym, "no breakpoint stop", out)
    # The breakpoint is after the prologue gdb skips; it lies inside sdk_puts.
    check(sym[0] <= hit[0] < sym[0] + 0x40, f"stopped at {hit[0]:#x}, not in sdk_printf ({sym[0]:#x})", out)
    check("Breakpoint 1, sdk_printf" in out, "gdb did not report the breakpoint", out)
    x0, s = values(out, "X0"), values(out, "S")
    check(x0 and s and x0[0] == s[0], "the argument fmt is not x0", out)
    # The format string, read through guest memory, up to its first conversion is how the
    # guest's first output line starts.
    m = re.search(r"STR=([^|]*)\|", out)
    check(m and len(m.group(1).split("%")[0]) > 10 and expected.startswith(m.group(1).split("%")[0]),
          "the string read through memory is not the guest's first format", out, expected)
    check(values(out, "EL") == [1], "cpsr.EL is not 1", out)
    pcs, got = values(out, "PC"), values(out, "WORD")
    check(len(pcs) == steps and len(got) == steps, "stepi did not report each step", out)
    prev = hit[0]
    for pc, word in zip(pcs, got):
        check(pc in words, f"stepped to {pc:#x}, which is no instruction of the ELF", out)
        check(word == words[pc], f"instruction at {pc:#x} reads {word:#x}, the ELF has {words[pc]:#x}", out)
        # Straight-line code or a branch: each step moved the PC by one instruction at least.
        check(pc != prev, f"stepi did not move from {prev:#x}", out)
        prev = pc
    check(pcs[0] == hit[0] + 4 or words[hit[0]] >> 26 in (0x05, 0x25) or (words[hit[0]] & 0xff000000) in (0x54000000,),
          "the first step did not go to the next instruction", out)
    check(re.search(r"\* 1\s+Thread 1 \(vCPU 0\)", out), "info threads does not show vCPU 0 as thread 1", out)
    check("(Remote target) detached]" in out, "gdb did not detach", out)
    check(rc == status, f"exit status {rc} after detach, {status} without gdb", emu.stderr())
    check(emu.stdout() == expected, "guest output under gdb differs from the plain run", emu.stdout(), expected)


def case_write_register(ctx):
    """A register written at the entry stop changes what the guest does (x0 is its argument),
    over a unix socket; the guest's exit reaches gdb as the inferior's exit code."""
    elf = ctx.guest("run_misc")
    path = os.path.join(ctx.tmp, "gdb.sock")
    emu = Emu(ctx, ["--guest", elf], "unix:" + path)
    check(emu.where == path, "unix socket endpoint not announced", emu.stderr())
    out = ctx.gdb(elf, emu.where, ['printf "X0=0x%lx\\n", $x0', "set $x0 = 0x5eed",
                                   'printf "X0=0x%lx\\n", $x0', "continue"])
    rc = emu.wait()
    check(values(out, "X0") == [0, 0x5eed], "x0 did not read back as written", out)
    check("exited with code 05" in out, "gdb did not see the guest's exit status 5", out)
    check(rc == 5 and emu.stdout() == "arg=5eed\n", f"guest did not take the new x0 (status {rc})", emu.stdout())
    check(not os.path.exists(path), "the unix socket was left behind")


def case_mmu_memory(ctx):
    """With the MMU on: globals by symbol, a TTBR1 alias, unmapped addresses answered with an
    error (gdb's 'Cannot access memory'), a memory write with an effect, a watchpoint."""
    elf = ctx.guest("mmu")
    status, expected = ctx.plain(["--guest", elf])
    m = re.search(r"translation fault, level 1: +ESR_EL1 (0x[0-9a-f]+) FAR_EL1 (0x[0-9a-f]+)", expected)
    check(m, "the mmu guest's own output changed", expected)
    esr1, far1 = int(m.group(1), 16), int(m.group(2), 16)
    emu = Emu(ctx, ["--guest", elf])
    out = ctx.gdb(elf, emu.where, [
        # on_sync runs once per fault: at its second entry the first fault is recorded.
        "break on_sync", "continue", "continue",
        'printf "FAULTS=0x%x ESR=0x%lx FAR=0x%lx\\n", faults, last_esr, last_far',
        "x/gx 0x10000000",
        "x/gx (char *)test_region + 2 * 4096",
        'printf "LOW=0x%lx\\n", *(long *)((char *)l2 + 8)',
        'printf "HIGH=0x%lx\\n", *(long *)(0xffffff8000000000 + (long)l2 + 8)',
        # faults counted one: make the guest believe it has seen none, so it ends with 3 of 4
        "set var faults = 0",
        "delete",
        "watch faults", "continue",
        'printf "WATCH=0x%x\\n", faults',
        "delete", "continue"])
    rc = emu.wait()
    faults, esr, far = values(out, "FAULTS"), values(out, "ESR"), values(out, "FAR")
    check(faults == [1] and esr == [esr1] and far == [far1],
          f"globals read through the MMU: faults {faults} ESR {esr} FAR {far}, expected 1 {esr1:#x} {far1:#x}", out)
    check("Cannot access memory at address 0x10000000" in out, "unmapped VA 0x10000000 was not refused", out)
    check(re.search(r"Cannot access memory at address 0x4040[0-9a-f]*2000", out),
          "the unmapped page of test_region was not refused", out)
    low, high = values(out, "LOW"), values(out, "HIGH")
    check(low and high == low, f"the TTBR1 alias reads {high}, the identity map {low}", out)
    check(re.search(r"(Hardware )?[Ww]atchpoint 2: faults\s+Old value = 0\s+New value = 1", out),
          "the watchpoint did not stop at the next change of faults", out)
    check(values(out, "WATCH") == [1], "faults after the watchpoint", out)
    check(rc == 1 and "faults taken: 3" in emu.stdout(), f"the memory write had no effect (status {rc})", emu.stdout())
    check("exited with code 01" in out, "gdb did not see exit status 1", out)


def case_deterministic(ctx):
    """Breakpoints hit many times (the emulator checks each instruction's PC) leave the
    guest's output, exit status and --json (instructions, PMU registers) unchanged: one vCPU
    with the cycle model, and two vCPUs in round robin with a timer interrupt guest."""
    for guest, extra, bp, hits in (("hello", [], "sdk_puts", 3), ("smp_psci", ["--vcpus", "4"], "sdk_puts", 4),
                                   ("timer_irq", [], "sdk_puts", 2)):
        elf = ctx.guest(guest)
        plain_json = os.path.join(ctx.tmp, guest + "-plain.json")
        gdb_json = os.path.join(ctx.tmp, guest + "-gdb.json")
        status, expected = ctx.plain(["--guest", elf] + extra, ["--json", plain_json])
        emu = Emu(ctx, ["--guest", elf, "--json", gdb_json] + extra)
        cmds = [f"break {bp}"] + ["continue"] * hits + ["delete", "continue"]
        out = ctx.gdb(elf, emu.where, cmds)
        rc = emu.wait()
        stops = len(re.findall(r"Breakpoint 1(\.\d+)?, ", out))
        check(stops == hits, f"{guest}: {stops} stops, {hits} expected", out)
        check(rc == status and emu.stdout() == expected, f"{guest}: outcome differs under gdb", emu.stdout(), expected)
        with open(plain_json) as a, open(gdb_json) as b:
            check(a.read() == b.read(), f"{guest}: --json differs under gdb")


def rle_decode(body):
    """The protocol's run-length encoding, undone independently of the stub's code."""
    out = bytearray()
    i = 0
    while i < len(body):
        if body[i] == ord("*"):
            out += bytes([out[-1]]) * (body[i + 1] - 29)
            i += 2
        else:
            out.append(body[i])
            i += 1
    return bytes(out)


def raw_session(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    buf = b""

    def recv_until(pred):
        nonlocal buf
        while not pred(buf):
            chunk = s.recv(65536)
            if not chunk:
                raise Failure("pmuemu closed the connection; got " + repr(buf))
            buf += chunk

    def packet(payload):
        """Sends one packet (no-ack mode off) and returns the reply's payload."""
        nonlocal buf
        body = payload.encode("latin-1")
        s.sendall(b"$" + body + b"#%02x" % (sum(body) & 0xff))
        recv_until(lambda b: b.startswith(b"+") and re.search(rb"\$[^#]*#..", b))
        m = re.search(rb"\$([^#]*)#(..)", buf)
        check(int(m.group(2), 16) == sum(m.group(1)) & 0xff, "bad checksum from pmuemu", buf)
        buf = buf[m.end():]
        s.sendall(b"+")
        return rle_decode(m.group(1)).decode("latin-1")

    def take():
        nonlocal buf
        b, buf = buf, b""
        return b

    return s, packet, recv_until, take


def case_raw_protocol(ctx):
    """The protocol below gdb: a bad checksum gets '-', malformed packets get error replies and
    the stub goes on; Ctrl-C (0x03) stops a running guest with SIGINT; k kills the run with
    the documented status 137."""
    elf = ctx.guest("intloop_large")
    json_path = os.path.join(ctx.tmp, "killed.json")
    emu = Emu(ctx, ["--guest", elf, "--json", json_path])
    s, packet, recv_until, take = raw_session(emu.port())
    s.sendall(b"$g#00")
    recv_until(lambda b: b.startswith(b"-"))
    got = take()
    check(got == b"-", "a bad checksum was not answered with '-' alone", got)
    for bad in ("m", "mzz,4", "M40000000,4:zz", "P1=00", "Hgzz", "Z0,zz,4", "vCont;q", "G00"):
        r = packet(bad)
        check(re.fullmatch(r"E[0-9a-f]{2}", r), f"{bad!r} got {r!r}, not an error reply")
    check(packet("?") == "T05thread:1;", "stop reason after malformed packets")
    check(packet("m0,4") == "E0e", "memory outside RAM")
    regs = packet("g")
    check(len(regs) == 2 * (31 * 8 + 8 + 8 + 4 + 32 * 16 + 4 + 4), "g packet size", len(regs))
    s.sendall(b"$c#63")
    recv_until(lambda b: b.startswith(b"+"))
    take()
    time.sleep(0.3)
    s.sendall(b"\x03")
    recv_until(lambda b: re.search(rb"\$T02[^#]*#..", b))
    got = take()
    check(re.search(rb"\$T02thread:1;#", got), "Ctrl-C did not stop with SIGINT", got)
    s.sendall(b"+$k#6b")
    rc = emu.wait()
    check(rc == 137, f"k ended the run with {rc}, not 137", emu.stderr())
    check("killed by the debugger" in emu.stderr(), "no message for k", emu.stderr())
    with open(json_path) as f:
        result = json.load(f)
    check(result["exit"]["reason"] == "debugger-kill" and result["exit"]["status"] == 137,
          "--json of a killed run", result["exit"])


def case_bad_endpoint(ctx):
    """A malformed --gdb value and a port in use are one clear error each."""
    elf = ctx.guest("hello")
    for value in ("70000", "tcp:x", "-1", "unix:"):
        p = subprocess.run([ctx.pmuemu, "run", "--host", ctx.host, "--guest", elf, "--gdb", value],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 64 and p.stderr.startswith("pmuemu: error: --gdb:") and p.stderr.count("\n") == 1,
              f"--gdb {value}: status {p.returncode}", p.stderr)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    p = subprocess.run([ctx.pmuemu, "run", "--host", ctx.host, "--guest", elf, "--gdb", str(port)],
                       capture_output=True, text=True, timeout=30)
    busy.close()
    check(p.returncode == 65 and f"127.0.0.1:{port}: cannot listen for gdb" in p.stderr,
          f"port in use: status {p.returncode}", p.stderr)
    for opts in (["--threads"], ["--bare"]):
        p = subprocess.run([ctx.pmuemu, "run", "--host", ctx.host, "--guest", elf, "--gdb", "0"] + opts,
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 64, f"--gdb with {opts}: status {p.returncode}", p.stderr)


def case_signal_while_waiting(ctx):
    """SIGINT and SIGTERM end a run that waits for gdb, with their documented statuses."""
    import signal
    elf = ctx.guest("hello")
    for sig, status in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        emu = Emu(ctx, ["--guest", elf])
        emu.p.send_signal(sig)
        rc = emu.wait(timeout=10)
        check(rc == status and "stopped by SIG" in emu.stderr(), f"signal {sig}: status {rc}", emu.stderr())


def case_threads(ctx):
    """Each vCPU is a thread: powered-off vCPUs are listed as such, a breakpoint names the
    vCPU that hit it (x0 of secondary() is its vCPU id), registers follow the selected
    thread, a scheduler-locked step moves only that vCPU, and a step of a powered-off vCPU
    stops at once."""
    elf = ctx.guest("smp_psci")
    status, expected = ctx.plain(["--guest", elf, "--vcpus", "4"])
    emu = Emu(ctx, ["--guest", elf, "--vcpus", "4"])
    out = ctx.gdb(elf, emu.where, [
        "info threads",
        "set scheduler-locking on", "thread 4", "stepi", 'printf "OFFPC=0x%lx\\n", $pc', "thread 1",
        "set scheduler-locking off",
        "break secondary", "continue",
        'printf "ID=0x%lx\\n", $x0',
        "info threads",
        "thread 1", 'printf "T1PC=0x%lx\\n", $pc',
        "set scheduler-locking on", "stepi", 'printf "T1PC=0x%lx\\n", $pc',
        "thread 2", 'printf "T2PC=0x%lx\\n", $pc',
        "set scheduler-locking off", "delete", "continue"])
    rc = emu.wait()
    check(len(re.findall(r"Thread [234] \(vCPU [123] \(powered off\)\)", out)) >= 3,
          "powered-off vCPUs are not listed as threads 2-4", out)
    check(values(out, "OFFPC") == [0], "a step of a powered-off vCPU moved it", out)
    m = re.search(r"Thread (\d) hit Breakpoint 1, secondary \(id=(\d)\)", out)
    check(m and int(m.group(1)) == int(m.group(2)) + 1 and values(out, "ID") == [int(m.group(2))],
          "the breakpoint stop does not name the vCPU that hit it", out)
    t1, t2 = values(out, "T1PC"), values(out, "T2PC")
    check(len(t1) == 2 and t1[1] != t1[0], "a step of thread 1 did not move its PC", out)
    addr, size = nm_symbol(elf, "secondary")
    check(t2 and addr <= t2[0] < addr + size, "thread 2's PC is not in secondary() where it stopped", out)
    check(rc == status and emu.stdout() == expected, "the guest's outcome changed", emu.stdout(), expected)


def nm_symbol(elf, name):
    """(address, size) of a symbol, from llvm-nm (the oracle for symbol lookups)."""
    p = subprocess.run(["llvm-nm", "-S", elf], capture_output=True, text=True, check=True)
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) == 4 and f[3] == name:
            return int(f[0], 16), int(f[1], 16)
    raise Failure(f"llvm-nm: no {name} in {elf}")


def case_save_at_pc(ctx):
    """--save-at-pc FUNCTION writes the snapshot with vCPU 0 at the function's first
    instruction; restored, the guest prints what the plain run prints from there on."""
    elf = ctx.guest("hello")
    status, expected = ctx.plain(["--guest", elf])
    addr, _ = nm_symbol(elf, "sdk_psci_version")
    snap = os.path.join(ctx.tmp, "at.snap")
    p = subprocess.run([ctx.pmuemu, "run", "--host", ctx.host, "--guest", elf, "--save", snap,
                        "--save-at-pc", "sdk_psci_version"], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and f"at PC {addr:#x}" in p.stderr, f"--save-at-pc: status {p.returncode}", p.stderr)
    first = expected.splitlines(keepends=True)[0]
    check(p.stdout == first, "output before the snapshot point", p.stdout, first)
    show = subprocess.run([ctx.pmuemu, "snapshot", "show", snap, "--json"], capture_output=True, text=True, timeout=60)
    pc = json.loads(show.stdout)["vcpus"][0]["registers"]["PC"]
    check(int(pc, 16) == addr, f"snapshot PC {pc}, sdk_psci_version is at {addr:#x}")
    r = subprocess.run([ctx.pmuemu, "run", "--host", ctx.host, "--restore", snap], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == status and first + r.stdout == expected, "restored run", r.stdout, expected)
    # The same address given as a number.
    p2 = subprocess.run([ctx.pmuemu, "run", "--host", ctx.host, "--guest", elf, "--save", snap,
                         "--save-at-pc", hex(addr)], capture_output=True, text=True, timeout=60)
    check(p2.returncode == 0 and p2.stderr == p.stderr, "numeric --save-at-pc", p2.stderr, p.stderr)
    for bad, why in ((["--save-at-pc", "nosuch", "--save", snap], "no symbol 'nosuch'"),
                     (["--save-at-pc", "main"], "goes with --save"),
                     (["--save-at-pc", "main", "--save", snap, "--stop-after-insns", "5"], "one of")):
        b = subprocess.run([ctx.pmuemu, "run", "--host", ctx.host, "--guest", elf] + bad, capture_output=True,
                           text=True, timeout=60)
        check(b.returncode == 64 and why in b.stderr, f"{bad}: status {b.returncode}", b.stderr)


def case_trace_insn_ranges(ctx):
    """--trace insn:FUNCTION and insn:START-END print exactly the lines of the full trace
    whose PC lies in the function (llvm-nm's address and size) or the range."""
    elf = ctx.guest("hello")
    full = subprocess.run([ctx.pmuemu, "run", "--host", ctx.host, "--guest", elf, "--trace", "insn"],
                          capture_output=True, text=True, timeout=120).stderr.splitlines()
    pc_of = lambda line: int(line.split()[2].rstrip(":"), 16)
    for name in ("sdk_psci_version", "sdk_printf"):
        addr, size = nm_symbol(elf, name)
        want = [l for l in full if addr <= pc_of(l) < addr + size]
        got = subprocess.run([ctx.pmuemu, "run", "--host", ctx.host, "--guest", elf, "--trace", "insn:" + name],
                             capture_output=True, text=True, timeout=120).stderr.splitlines()
        check(want and got == want, f"insn:{name}: {len(got)} lines, {len(want)} expected", got[:5], want[:5])
    lo, hi = 0x40080000, 0x40080040
    want = [l for l in full if lo <= pc_of(l) < hi]
    got = subprocess.run([ctx.pmuemu, "run", "--host", ctx.host, "--guest", elf, "--trace", f"insn:{lo:#x}-{hi:#x}"],
                         capture_output=True, text=True, timeout=120).stderr.splitlines()
    check(want and got == want, f"insn range: {len(got)} lines, {len(want)} expected")
    b = subprocess.run([ctx.pmuemu, "run", "--host", ctx.host, "--guest", elf, "--trace", "insn:0x10-0x8"],
                       capture_output=True, text=True, timeout=60)
    check(b.returncode == 64 and "START < END" in b.stderr, "an empty range is a usage error", b.stderr)


def reset_pmcr(trace, vcpu, cause):
    """PMCR_EL0 as the reset of `vcpu` by `cause` left it, from --trace reset: (pCPU, value)."""
    pcpu, value, inside = None, None, False
    for line in trace.splitlines():
        m = re.match(r"reset: vCPU (\d+) on pCPU (\d+) \((.*)\)", line)
        if m:
            inside = int(m.group(1)) == vcpu and m.group(3) == cause
            if inside:
                pcpu = int(m.group(2))
            continue
        m = re.match(r"reset:\s+reset_pmcr\s+PMCR_EL0\s+0x[0-9a-f]+ -> (0x[0-9a-f]+)", line)
        if inside and m:
            value = int(m.group(1), 16)
    check(pcpu is not None and value is not None, f"--trace reset shows no {cause} reset of vCPU {vcpu}", trace)
    return pcpu, value


def cluster_counters(host, pcpu):
    """PMCR_EL0.N of the cluster pCPU `pcpu` belongs to, from the host YAML."""
    first = 0
    with open(host) as f:
        for line in f:
            m = re.search(r"cpus: (\d+), pmu: \{ counters: (\d+) \}", line)
            if m:
                if pcpu < first + int(m.group(1)):
                    return int(m.group(2))
                first += int(m.group(1))
    raise Failure(f"pCPU {pcpu} is in no cluster of {host}")


def case_stop_on_reset(ctx):
    """monitor stop-on reset: the PSCI CPU_ON of vCPU 1 stops the VM on thread 2 before its
    first instruction, with the reset named; the PC is the entry point the guest gave,
    PMCR_EL0 what the reset made it (--trace reset of the plain run, N from
    the host's cluster); stepping runs the entry's instructions; the outcome is unchanged."""
    elf = ctx.guest("smp_psci")
    args = ["--guest", elf, "--vcpus", "4"]
    status, expected = ctx.plain(args)
    trace = subprocess.run([ctx.pmuemu, "run", "--host", ctx.host] + args + ["--trace", "reset"], capture_output=True,
                           text=True, timeout=120).stderr
    pcpu, pmcr = reset_pmcr(trace, 1, "PSCI CPU_ON")
    pmcr |= cluster_counters(ctx.host, pcpu) << 11  # a ONE_REG read shows PMCR_EL0.N (bits 15:11)
    entry, _ = nm_symbol(elf, "sdk_secondary_entry")
    words = ctx.disassembly(elf)
    emu = Emu(ctx, args)
    out = ctx.gdb(elf, emu.where, [
        "monitor stop-on", "monitor stop-on reset on", "continue",
        'printf "PC=0x%lx PMCR=0x%lx MPIDR=0x%lx\\n", $pc, $pmcr_el0, $mpidr_el1',
        "monitor stop-reason",
        "stepi", 'printf "STEP=0x%lx WORD=0x%x\\n", $pc, *(unsigned int *)$pc',
        "stepi", 'printf "STEP=0x%lx WORD=0x%x\\n", $pc, *(unsigned int *)$pc',
        "monitor stop-on reset off", "continue"])
    rc = emu.wait()
    check("stop-on reset off\nstop-on psci off\nstop-on fail-entry off\nstop-on pmu-overflow off" in out,
          "monitor stop-on did not list the events, all off", out)
    check(out.count("pmuemu: vCPU 1: reset (PSCI CPU_ON)") == 2, "the reset stop was not named (stop and stop-reason)",
          out)
    check(re.search(r"Thread 2 received signal SIGTRAP", out), "the stop is not on thread 2 (vCPU 1)", out)
    pc, got_pmcr, mpidr = (values(out, k) for k in ("PC", "PMCR", "MPIDR"))
    check(pc == [entry], f"vCPU 1 stopped at {pc}, its PSCI entry point is {entry:#x}", out)
    check(got_pmcr == [pmcr], f"PMCR_EL0 read {got_pmcr}, the reset made it {pmcr:#x}", out)
    check(mpidr and mpidr[0] & 0xff == 1, "MPIDR_EL1.Aff0 of vCPU 1 is not 1", out)
    steps, stepped = values(out, "STEP"), values(out, "WORD")
    check(steps == [entry + 4, entry + 8] and stepped == [words[entry + 4], words[entry + 8]],
          "stepi from the reset did not run the entry's first instructions", out)
    check(rc == status and emu.stdout() == expected, "the guest's outcome changed", emu.stdout(), expected)


def case_stop_on_psci(ctx):
    """monitor stop-on psci: each PSCI call stops the calling vCPU right after its HVC, named
    with its function; the --json of the run is the same as without gdb."""
    elf = ctx.guest("hello")
    plain_json = os.path.join(ctx.tmp, "plain.json")
    gdb_json = os.path.join(ctx.tmp, "gdb.json")
    status, expected = ctx.plain(["--guest", elf], ["--json", plain_json])
    emu = Emu(ctx, ["--guest", elf, "--json", gdb_json])
    out = ctx.gdb(elf, emu.where, [
        "monitor stop-on psci on", "continue",
        'printf "PC=0x%lx X0=0x%lx PREV=0x%x\\n", $pc, $x0, *(unsigned int *)($pc - 4)', "continue"])
    rc = emu.wait()
    check("pmuemu: vCPU 0: PSCI PSCI_VERSION (HVC #0, function id 0x84000000)" in out, "no PSCI_VERSION stop", out)
    addr, size = nm_symbol(elf, "sdk_psci_version")
    pc, x0, prev = values(out, "PC"), values(out, "X0"), values(out, "PREV")
    check(pc and addr <= pc[0] < addr + size, f"stopped at {pc}, not in sdk_psci_version", out)
    check(prev == [0xd4000002], "the instruction before the stop is not HVC #0", out)
    m = re.search(r"PSCI version (0x[0-9a-f]+)", expected)
    check(m and x0 == [int(m.group(1), 16)], "x0 after the call is not the version the guest prints", out, expected)
    check(rc == status and emu.stdout() == expected, "the guest's outcome changed", emu.stdout(), expected)
    with open(plain_json) as a, open(gdb_json) as b:
        check(a.read() == b.read(), "--json differs under gdb with PSCI stops")


def case_stop_on_fail_entry(ctx):
    """monitor stop-on fail-entry: vCPU 1 placed outside the PMU's CPUs stops on thread 2
    before the VMM ends the run; continuing ends it as without gdb (status 4)."""
    elf = ctx.guest("reset_demo")
    args = ["--guest", elf, "--vcpus", "2", "--affinity", "1=4", "--pmu", "cortex-a55"]
    status, expected = ctx.plain(args)
    check(status == 4, f"reset_demo on a pCPU outside the PMU ended with {status}, not FAIL_ENTRY's 4")
    emu = Emu(ctx, args)
    out = ctx.gdb(elf, emu.where, ["monitor stop-on fail-entry on", "continue", "info threads", "continue"])
    rc = emu.wait()
    check("pmuemu: vCPU 1: KVM_RUN failed entry: KVM_EXIT_FAIL_ENTRY (CPU_UNSUPPORTED) on pCPU 4" in out,
          "no FAIL_ENTRY stop", out)
    check(re.search(r"Thread 2 received signal SIGTRAP", out), "the stop is not on thread 2", out)
    check("exited with code 04" in out, "gdb did not see the run end with status 4", out)
    check(rc == status and emu.stdout() == expected, "the run's outcome changed", emu.stdout(), expected)
    check("failed entry" in emu.stderr(), "pmuemu did not report the FAIL_ENTRY", emu.stderr())


def case_stop_on_pmu_overflow(ctx):
    """monitor stop-on pmu-overflow: the overflow of the counter the guest programs to wrap
    stops the VM with PMOVSSET_EL0 naming it, before the guest's interrupt handler runs (its
    count of interrupts is still 0); the outcome is unchanged."""
    elf = ctx.guest("fidelity_exact")
    args = ["--guest", elf, "--affinity", "0=4"]
    status, expected = ctx.plain(args)
    check(status == 0 and "overflow irqs=1" in expected, "fidelity_exact's overflow check changed", expected)
    emu = Emu(ctx, args)
    out = ctx.gdb(elf, emu.where, [
        "monitor stop-on pmu-overflow on", "continue",
        'printf "OVS=0x%lx CNT=0x%lx INTEN=0x%lx IRQS=0x%x\\n", $pmovsset_el0, $pmevcntr4_el0, $pmintenset_el1, irqs',
        "monitor stop-on pmu-overflow off", "continue"])
    rc = emu.wait()
    check(re.search(r"pmuemu: vCPU 0: PMU overflow interrupt \(PMOVSSET_EL0 0x[0-9a-f]*1[0-9a-f]\)", out),
          "no PMU overflow stop naming counter 4", out)
    ovs, cnt, inten, irqs = (values(out, k) for k in ("OVS", "CNT", "INTEN", "IRQS"))
    check(ovs and ovs[0] & 0x10 and inten == [0x10], "PMOVSSET/PMINTENSET do not show counter 4", out)
    check(cnt and cnt[0] < 1000, f"counter 4 reads {cnt}: not just wrapped", out)
    check(irqs == [0], "the guest's handler ran before the stop", out)
    check(rc == status and emu.stdout() == expected, "the guest's outcome changed", emu.stdout(), expected)


def case_read_access_watch(ctx):
    """rwatch and awatch: a read watchpoint stops after each load of the variable (gdb shows
    its value; the instruction before the PC, in llvm-objdump's disassembly, is a load), an
    access watchpoint after the store too (old and new value); the outcome is unchanged."""
    elf = ctx.guest("mmu")
    status, expected = ctx.plain(["--guest", elf])
    text = subprocess.run(["llvm-objdump", "-d", elf], capture_output=True, text=True).stdout
    mnemonic = {int(m.group(1), 16): m.group(2) for m in
                re.finditer(r"^\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} ){4}\s*(\S+)", text, re.M)}
    emu = Emu(ctx, ["--guest", elf])
    out = ctx.gdb(elf, emu.where, [
        "rwatch faults", "continue", 'printf "AT=0x%lx\\n", $pc', "continue", 'printf "AT=0x%lx\\n", $pc', "delete",
        "awatch faults", "continue", 'printf "AT=0x%lx\\n", $pc', "continue", 'printf "AT=0x%lx\\n", $pc', "delete",
        "continue"])
    rc = emu.wait()
    check(re.search(r"Hardware read watchpoint 1: faults\s+Value = 0\s", out) and
          re.search(r"Hardware read watchpoint 1: faults\s+Value = 1\s", out), "rwatch did not stop on the reads", out)
    check(re.search(r"Hardware access \(read/write\) watchpoint 2: faults\s+Old value = 1\s+New value = 2\s", out) and
          re.search(r"Hardware access \(read/write\) watchpoint 2: faults\s+Value = 2\s", out),
          "awatch did not stop on the store, then the next load", out)
    at = values(out, "AT")
    check(len(at) == 4, "four watchpoint stops expected", out)
    kinds = [mnemonic.get(a - 4, "?") for a in at]
    check(kinds[0].startswith("ld") and kinds[1].startswith("ld") and kinds[2].startswith("st") and
          kinds[3].startswith("ld"), f"the instructions before the stops are {kinds}", out)
    check(rc == status and emu.stdout() == expected, "the guest's outcome changed", emu.stdout(), expected)


def case_trace_fault_dump(ctx):
    """A run ending on --max-insns under --trace insn prints each vCPU's registers and its last
    16 instructions: the same lines the full trace printed last, and the PC of the limit's
    message; with a range that excludes everything the dump is the same. Without --trace
    insn nothing is added."""
    elf = ctx.guest("hello")
    base = [ctx.pmuemu, "run", "--host", ctx.host, "--guest", elf, "--max-insns", "5000"]
    full = subprocess.run(base + ["--trace", "insn"], capture_output=True, text=True, timeout=60)
    check(full.returncode == 3, f"--max-insns ended with {full.returncode}", full.stderr[-2000:])
    lines = full.stderr.splitlines()
    trace = [l for l in lines if l.startswith("[vcpu0 ")]
    at = lines.index("pmuemu: vCPU 0 last 16 instructions:")
    dump = lines[at + 1:at + 17]
    check(len(trace) == 5000 + 16, f"{len(trace)} trace lines: 5000 traced and 16 dumped expected")
    check(dump == trace[4984:5000], "the dumped instructions are not the last 16 traced", dump, trace[4984:5000])
    m = re.search(r"instruction limit reached \(--max-insns 5000\) at vCPU 0 PC (0x[0-9a-f]+)", full.stderr)
    regs = re.search(r"pc +0x([0-9a-f]{16})", full.stderr)
    check(m and regs and int(regs.group(1), 16) == int(m.group(1), 16), "the dumped PC is not the limit's", full.stderr[-3000:])
    check(re.search(r"pmuemu: vCPU 0 registers:\n(  x\d+ .*\n){8}", full.stderr), "no register dump", full.stderr[-3000:])
    ranged = subprocess.run(base + ["--trace", "insn:0x0-0x4"], capture_output=True, text=True, timeout=60)
    check(ranged.stderr.splitlines() == lines[5000:], "the dump under a range that traces nothing differs",
          ranged.stderr, lines[5000:])
    plain = subprocess.run(base, capture_output=True, text=True, timeout=60)
    check(plain.returncode == 3 and "registers:" not in plain.stderr and plain.stderr.count("\n") == 2,
          "a run without --trace insn printed a dump", plain.stderr)


def case_linux(ctx):
    """The Linux guest (Debian's kernel, the FP-free /init) under gdb: the first PSCI call
    stops the kernel right after its HVC, read through the kernel's own page tables; its
    registers and system registers are a running kernel's (EL1, MMU on, vectors and PC in the
    kernel's half); a breakpoint on the kernel address the call returns to is hit; the PSCI
    calls of the boot follow, the last SYSTEM_OFF, and gdb sees the power-off as the exit.
    The console output is the same as without gdb."""
    image = os.path.join(ctx.src, "build", "linux-guest", "Image")
    initrd = os.path.join(ctx.build, "tests", "linux", "nofp.cpio.gz")
    for f in (image, initrd):
        check(os.path.exists(f), f"{f} is missing: scripts/linux-guest (the linux_guest_fetch test) and the "
                                 "linux_test_inputs target make it")
    args = ["--kernel", image, "--initrd", initrd, "--max-resets", "0", "--timing", "functional",
            "--append", "console=ttyAMA0 rdinit=/init cryptomgr.notests panic=-1 -- echo"]
    # /init echoes a line typed into the PL011 before it powers off.
    typed = b"typed into the PL011\n"
    status, expected = ctx.plain(args, stdin=typed)
    check(status == 0 and "reboot: Power down" in expected, "the plain Linux run did not power off", expected)
    script = os.path.join(ctx.tmp, "to_the_end.gdb")
    with open(script, "w") as f:
        # Each further PSCI call of the boot, to the power-off (gdb stops the loop when the
        # inferior has exited).
        f.write('set $n = 0\nwhile $n < 40\n  continue\n  printf "CALL=0x%lx\\n", $x0\n  set $n = $n + 1\nend\n')
    emu = Emu(ctx, args, stdin=typed)
    out = ctx.gdb("", emu.where, [
        "monitor stop-on psci on", "continue",
        'printf "PC=0x%lx X0=0x%lx HVC=0x%x RET=0x%lx\\n", $pc, $x0, *(unsigned int *)($pc - 4), $lr',
        'printf "SCTLR=0x%lx VBAR=0x%lx TTBR1=0x%lx EL=0x%lx\\n", $sctlr_el1, $vbar_el1, $ttbr1_el1, ($cpsr >> 2) & 3',
        "break *$lr", "continue", 'printf "BP=0x%lx\\n", $pc', "delete",
        "source " + script], timeout=120)
    rc = emu.wait(timeout=120)
    msgs = re.findall(r"pmuemu: vCPU 0: PSCI (\w+) \(HVC #0, function id (0x[0-9a-f]+)\)", out)
    check(msgs and msgs[0][0] == "PSCI_VERSION", "the first stop is not the kernel's PSCI_VERSION call", out)
    check(msgs[-1][0] == "SYSTEM_OFF" and len(msgs) >= 3, f"the boot's PSCI calls: {msgs}", out)
    pc, x0, hvc, lr = (values(out, k) for k in ("PC", "X0", "HVC", "RET"))
    check(pc and pc[0] >= 0xffff000000000000, f"PC {pc} is not a kernel address", out)
    check(hvc == [0xd4000002], "the instruction before the stop, read at its kernel address, is not HVC #0", out)
    m = re.search(r"psci: PSCIv(\d+)\.(\d+) detected in firmware", expected)
    check(m and x0 == [int(m.group(1)) << 16 | int(m.group(2))], "x0 after the call is not the version the kernel "
          "reports", out, m and m.group(0))
    sctlr, vbar, ttbr1, el = (values(out, k) for k in ("SCTLR", "VBAR", "TTBR1", "EL"))
    check(sctlr and sctlr[0] & 1 and el == [1], "not at EL1 with the MMU on", out)
    check(vbar and vbar[0] >= 0xffff000000000000 and vbar[0] % 2048 == 0, f"VBAR_EL1 {vbar}", out)
    check(ttbr1 and ttbr1[0] != 0, "TTBR1_EL1 is not set", out)
    check(lr and values(out, "BP") == lr and "Breakpoint 1, " in out, "the breakpoint on the return address", out)
    check("exited normally" in out, "gdb did not see the power-off as the inferior's exit", out)
    check(rc == status and emu.stdout() == expected, "the console output differs under gdb", emu.stdout(), expected)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pmuemu")
    ap.add_argument("src")
    ap.add_argument("build")
    ap.add_argument("--case")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        print(";".join(CASES))
        return 0
    if shutil.which(GDB) is None:
        print(f"FAIL: {GDB} is not installed (Debian package gdb-multiarch; scripts/install-deps installs it)")
        return 1
    if shutil.which("llvm-objdump") is None:
        print("FAIL: llvm-objdump is not installed (Debian package llvm)")
        return 1
    with tempfile.TemporaryDirectory(prefix="pmuemu-gdb-") as tmp:
        try:
            CASES[a.case](Ctx(a.pmuemu, a.src, a.build, tmp))
        except Failure as e:
            print("FAIL:", e)
            return 1
    print("ok:", a.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
