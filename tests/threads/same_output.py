#!/usr/bin/env python3
"""Runs a pmuemu command on the deterministic scheduler once and with --threads several
times; every threaded run must give the same exit status and the same stdout (the guests
used here order their own output, so parallel vCPUs must not change a byte of it).

usage: same_output.py [--runs N] [--timeout S] -- PMUEMU run ARGS...
"""
import argparse
import subprocess
import sys


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None
    return p


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    ref = run(cmd, a.timeout)
    if ref is None:
        print(f"FAIL: deterministic run timed out: {' '.join(cmd)}")
        return 1
    if not ref.stdout:
        print(f"FAIL: the deterministic run printed nothing (status {ref.returncode}); stderr:\n{ref.stderr}")
        return 1
    for i in range(a.runs):
        p = run(cmd + ["--threads"], a.timeout)
        if p is None:
            print(f"FAIL: threaded run {i + 1} timed out after {a.timeout}s: {' '.join(cmd)} --threads")
            return 1
        if p.returncode != ref.returncode or p.stdout != ref.stdout:
            print(f"FAIL: threaded run {i + 1} differs from the deterministic run")
            print(f"deterministic: status {ref.returncode}\n{ref.stdout}")
            print(f"threaded: status {p.returncode}\n{p.stdout}\nstderr:\n{p.stderr}")
            return 1
        if p.stderr:
            print(f"FAIL: threaded run {i + 1} wrote to stderr (a sanitizer report?):\n{p.stderr}")
            return 1
    print(f"ok: {a.runs} threaded runs match the deterministic run (status {ref.returncode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
