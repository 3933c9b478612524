#!/usr/bin/env python3
"""A guest asks for a snapshot (semihosting operation 0x100): with --save-on-request the
call returns 0 and the file is written while the run goes on; restored, the VM carries on
from the call (same output after it, same exit status); without the option the call
returns -1; with --threads or --bare the option is a usage error.

usage: guest_snapshot.py PMUEMU HOST GUEST_ELF WORKDIR
"""
import os
import subprocess
import sys

pmuemu, host, elf, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
snap = os.path.join(work, "request.snap")


def run(*args):
    return subprocess.run([pmuemu, "run", "--host", host] + list(args), capture_output=True, text=True, timeout=120)


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


if os.path.exists(snap):
    os.remove(snap)
plain = run("--guest", elf)
lines = plain.stdout.splitlines()
if plain.returncode != 0 or len(lines) != 2 or not lines[1].startswith("request -1 after "):
    fail(f"without --save-on-request: status {plain.returncode}, output {plain.stdout!r}")
asked = run("--guest", elf, "--save-on-request", snap)
want = [lines[0], lines[1].replace("request -1", "request 0")]
if asked.returncode != 0 or asked.stdout.splitlines() != want:
    fail(f"with --save-on-request: status {asked.returncode}, output {asked.stdout!r}, want {want}")
if "snapshot written to " + snap + " at the guest's request (vCPU 0)" not in asked.stderr or not os.path.getsize(snap):
    fail(f"no snapshot written: {asked.stderr!r}")
restored = run("--restore", snap)
if restored.returncode != 0 or restored.stdout.splitlines() != want[1:]:
    fail(f"restored: status {restored.returncode}, output {restored.stdout!r}, want {want[1:]}")
for extra in (["--threads"], ["--bare"]):
    bad = run("--guest", elf, "--save-on-request", snap, *extra)
    if bad.returncode != 64 or "--save-on-request" not in bad.stderr:
        fail(f"--save-on-request with {extra}: status {bad.returncode}, {bad.stderr!r}")
print("ok")
