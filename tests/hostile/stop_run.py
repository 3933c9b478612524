#!/usr/bin/env python3
"""Runs that are stopped from outside (docs/cli.md, "Stopping a run"): SIGINT and SIGTERM sent
to a running pmuemu, and --timeout. Each case checks the exit status, that --json validates
against docs/pmuemu-run.schema.json, that --timeline parses, that --save-on-exit restores, and
that the positions reported on stderr agree with the JSON.

usage: stop_run.py PMUEMU SOURCE_DIR GUEST_DIR WORK_DIR --list | --case NAME
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

PMUEMU, SRC, GUESTS, WORK = sys.argv[1:5]
HOST = os.path.join(SRC, "configs/big-little.yaml")
# hostile_exc_loops --arg 3: a vector that ERETs to a faulting UDF for ever; runs until stopped.
FOREVER = [os.path.join(GUESTS, "hostile_exc_loops.elf"), "--arg", "3"]
sys.path.insert(0, os.path.join(SRC, "tests/integration"))
import schema_check  # noqa: E402

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def outputs(d):
    return {k: os.path.join(d, k) for k in ("run.json", "timeline.json", "exit.snap")}


def start(d, extra):
    o = outputs(d)
    for p in o.values():
        if os.path.exists(p):
            os.unlink(p)
    cmd = [PMUEMU, "run", "--host", HOST, "--guest", *FOREVER, "--json", o["run.json"], "--timeline",
           o["timeline.json"], "--save-on-exit", o["exit.snap"], *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), o


def finish(p, limit=30):
    try:
        out, err = p.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError(f"pmuemu did not stop within {limit} s")
    return p.returncode, out, err


def check_outputs(o, err, status, reason, vcpus):
    doc = json.load(open(o["run.json"]))
    schema = json.load(open(os.path.join(SRC, "docs/pmuemu-run.schema.json")))
    errors = schema_check.check(schema, doc)
    check(not errors, f"--json validates: {errors}")
    check(doc["exit"]["status"] == status and doc["exit"]["reason"] == reason, f"exit: {doc['exit']}")
    tl = json.load(open(o["timeline.json"]))
    check(len(tl["traceEvents"]) > 1, "the timeline has events")
    # stderr: the error line, the snapshot line and one position line per vCPU, agreeing
    # with the JSON.
    where = re.findall(r"^pmuemu: vCPU (\d+): PC (0x[0-9a-f]+), (\d+) instructions", err, re.M)
    check(len(where) == vcpus, f"one position line per vCPU: {err!r}")
    for vid, pc, n in where:
        v = doc["vcpus"][int(vid)]
        check(v["pc"] == pc and v["instructions"] == int(n), f"vCPU {vid}: stderr {pc} {n}, JSON {v['pc']} "
              f"{v['instructions']}")
    total = sum(int(n) for _, _, n in where)
    check(f"pmuemu: snapshot written to {o['exit.snap']} after {total} guest instructions" in err,
          f"the snapshot line: {err!r}")
    check(doc["vcpus"][0]["instructions"] > 0, "the guest ran before the stop")
    # The snapshot restores and goes on from where the run stood.
    r = subprocess.run([PMUEMU, "run", "--host", HOST, "--restore", o["exit.snap"], "--max-insns", "1000"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 3 and "pmuemu: error: instruction limit reached (--max-insns 1000)" in r.stderr,
          f"restore of the snapshot: {r.returncode} {r.stderr!r}")
    return doc


def wait_running(p, o):
    # The JSON file is created before the guest runs; then give it time to run.
    t0 = time.time()
    while not os.path.exists(o["run.json"]):
        check(time.time() - t0 < 20 and p.poll() is None, "pmuemu started the run")
        time.sleep(0.02)
    time.sleep(0.4)


@case
def sigint():
    d = os.path.join(WORK, "sigint")
    os.makedirs(d, exist_ok=True)
    p, o = start(d, [])
    wait_running(p, o)
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    rc, out, err = finish(p)
    check(rc == 130, f"exit status {rc}, expected 130: {err!r}")
    check(time.time() - t0 < 5, "stopped promptly")
    check(err.startswith("pmuemu: snapshot written to"), f"stderr: {err!r}")
    check("pmuemu: error: stopped by SIGINT\n" in err, f"stderr: {err!r}")
    check_outputs(o, err, 130, "signal", 1)


@case
def sigterm_threads():
    d = os.path.join(WORK, "sigterm_threads")
    os.makedirs(d, exist_ok=True)
    p, o = start(d, ["--vcpus", "2", "--threads"])
    wait_running(p, o)
    p.send_signal(signal.SIGTERM)
    rc, out, err = finish(p)
    check(rc == 143, f"exit status {rc}, expected 143: {err!r}")
    check("pmuemu: error: stopped by SIGTERM\n" in err, f"stderr: {err!r}")
    doc = check_outputs(o, err, 143, "signal", 2)
    check("powered off" in err and doc["vcpus"][1]["instructions"] == 0, "vCPU 1 never came up")


@case
def sigterm_round_robin_smp():
    d = os.path.join(WORK, "sigterm_rr")
    os.makedirs(d, exist_ok=True)
    p, o = start(d, ["--vcpus", "2", "--timing", "functional"])
    wait_running(p, o)
    p.send_signal(signal.SIGTERM)
    rc, out, err = finish(p)
    check(rc == 143, f"exit status {rc}, expected 143: {err!r}")
    check_outputs(o, err, 143, "signal", 2)


@case
def timeout():
    d = os.path.join(WORK, "timeout")
    os.makedirs(d, exist_ok=True)
    t0 = time.time()
    p, o = start(d, ["--timeout", "0.5"])
    rc, out, err = finish(p)
    elapsed = time.time() - t0
    check(rc == 3, f"exit status {rc}, expected 3: {err!r}")
    check(0.5 <= elapsed < 10, f"stopped after {elapsed:.2f} s")
    check("pmuemu: error: wall-clock limit reached (--timeout 0.5 s)\n" in err, f"stderr: {err!r}")
    check_outputs(o, err, 3, "timeout", 1)


@case
def timeout_not_reached():
    # A guest that ends before the deadline: its own status, no position lines.
    r = subprocess.run([PMUEMU, "run", "--host", HOST, "--guest", os.path.join(GUESTS, "hello.elf"), "--timeout",
                        "60"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and r.stderr == "", f"{r.returncode} {r.stderr!r}")


@case
def max_insns_reports_every_vcpu():
    d = os.path.join(WORK, "max_insns")
    os.makedirs(d, exist_ok=True)
    p, o = start(d, ["--max-insns", "300000", "--vcpus", "3"])
    rc, out, err = finish(p)
    check(rc == 3, f"exit status {rc}: {err!r}")
    doc = check_outputs(o, err, 3, "insn-limit", 3)
    check(doc["vcpus"][0]["instructions"] == 300000, f"{doc['vcpus'][0]}")


@case
def bad_timeout_values():
    for v in ("0", "-1", "abc", "inf", "nan", "1e3", "2000000", ""):
        r = subprocess.run([PMUEMU, "run", "--host", HOST, "--guest", "g.elf", "--timeout", v],
                           capture_output=True, text=True, timeout=60)
        want = f"pmuemu: error: --timeout: expected seconds between 0 and 1000000 (e.g. 2.5), got '{v}'\n"
        check(r.returncode == 64 and r.stderr == want, f"--timeout {v!r}: {r.returncode} {r.stderr!r}")
    r = subprocess.run([PMUEMU, "run", "--host", HOST, "--guest", "g.elf", "--bare", "--timeout", "1"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 64 and "--timeout is a KVM option" in r.stderr, f"--bare --timeout: {r.stderr!r}")


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
