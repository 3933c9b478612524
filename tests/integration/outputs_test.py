#!/usr/bin/env python3
"""End-to-end tests of pmuemu run --json, --timeline and --reinit-runs.

usage: outputs_test.py PMUEMU HOST.yaml GUEST_DIR SCHEMA.json WORKDIR SCENARIO
Exit 0 when the scenario holds.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schema_check  # noqa: E402

PMUEMU, HOST, GUESTS, SCHEMA, WORK, SCENARIO = sys.argv[1:7]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(*args, expect=0):
    p = subprocess.run([PMUEMU, "run", "--host", HOST, *args], capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    if p.returncode != expect:
        fail(f"{' '.join(args)}: exit {p.returncode}, expected {expect}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def guest(name):
    return os.path.join(GUESTS, name + ".elf")


def out(name):
    return os.path.join(WORK, f"{SCENARIO}-{name}")


def validate(path):
    schema = json.load(open(SCHEMA))
    doc = json.load(open(path))
    errs = schema_check.check(schema, doc)
    if errs:
        fail(f"{path} does not match the schema:\n" + "\n".join(errs))
    return doc


def timeline(path):
    doc = json.load(open(path))
    if doc.get("displayTimeUnit") != "ns" or not isinstance(doc.get("traceEvents"), list):
        fail(f"{path}: not a trace-event object with displayTimeUnit ns")
    for e in doc["traceEvents"]:
        for k in ("name", "ph", "pid"):
            if k not in e:
                fail(f"{path}: event without {k}: {e}")
    return doc["traceEvents"]


def tracks(events):
    return {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}


RESET_DEMO = ("--guest", guest("reset_demo"), "--vcpus", "2", "--affinity", "1=4")


def json_schema():
    # A clean two-vCPU run, a guest fault, an instruction limit and a refused call all validate.
    cases = [
        (RESET_DEMO, 0, "guest-exit"),
        (("--guest", guest("hello")), 0, None),
        (("--guest", guest("spin"), "--max-insns", "100000"), 3, "insn-limit"),
        (RESET_DEMO + ("--pmu", "cortex-a55"), 4, "fail-entry"),
        (("--guest", guest("spin"), "--kvm", "v5", "--pmcr-n", "9"), 5, "kvm-refused"),
        (("--guest", guest("spin"), "--no-pmu", "--max-insns", "1000", "--timing", "functional"), 3, "insn-limit"),
    ]
    for i, (args, status, reason) in enumerate(cases):
        path = out(f"{i}.json")
        run(*args, "--json", path, expect=status)
        doc = validate(path)
        if doc["exit"]["status"] != status or (reason and doc["exit"]["reason"] != reason):
            fail(f"{args}: exit {doc['exit']}, expected status {status} reason {reason}")
    doc = json.load(open(out("0.json")))
    v0, v1 = doc["vcpus"]
    if v0["pcpus"] != [0] or v1["pcpus"] != [4]:
        fail(f"placement: {v0['pcpus']} {v1['pcpus']}")
    for name in ("PMCR_EL0", "PMCNTENSET_EL0", "PMEVCNTR0_EL0", "PMEVTYPER0_EL0", "PMCCNTR_EL0", "PMCCFILTR_EL0"):
        if name not in v0["registers"]:
            fail(f"register {name} missing: {sorted(v0['registers'])}")
    if v0["instructions"] <= 0 or len(doc["pcpus"]) != 8:
        fail("instructions or pcpus")
    # The validator is not vacuous: a broken document fails.
    broken = dict(doc, version="1")
    del broken["exit"]
    if len(schema_check.check(json.load(open(SCHEMA)), broken)) < 2:
        fail("schema checker accepted a broken document")


def timeline_tracks():
    path = out("reset.json")
    run(*RESET_DEMO, "--timeline", path)
    ev = timeline(path)
    t = tracks(ev)
    if t != {0: "pCPU 0 (cortex-a55)", 4: "pCPU 4 (cortex-a76)"}:
        fail(f"tracks: {t}")
    slices = {(e["tid"], e["name"]) for e in ev if e["ph"] == "X"}
    if slices != {(0, "vCPU 0"), (4, "vCPU 1")}:
        fail(f"slices: {slices}")
    for e in ev:
        if e["ph"] == "X" and not (e["dur"] > 0 and e["ts"] >= 0):
            fail(f"bad slice {e}")
    resets = [(e["tid"], e["name"]) for e in ev if e["ph"] == "i" and "reset" in e["name"]]
    for want in ((0, "vCPU 0 reset (KVM_ARM_VCPU_INIT)"), (4, "vCPU 1 reset (PSCI CPU_ON)")):
        if want not in resets:
            fail(f"reset instant {want} missing: {resets}")
    # Migrations: vCPU 0 moves between pCPUs 0 and 1.
    path = out("migrate.json")
    run("--guest", guest("reset_demo"), "--vcpus", "2", "--affinity", "0=0-1", "--migrate-every", "5000",
        "--timeline", path)
    ev = timeline(path)
    if not {0, 1} <= set(tracks(ev)):
        fail(f"migration tracks: {tracks(ev)}")
    if not any(e["ph"] == "i" and e["name"] == "vCPU 0 migrated from pCPU 0 to pCPU 1" for e in ev):
        fail("no migration instant")
    # FAIL_ENTRY: an instant on the pCPU that refused entry.
    path = out("fail.json")
    run(*RESET_DEMO, "--pmu", "cortex-a55", "--timeline", path, expect=4)
    ev = timeline(path)
    if not any(e["ph"] == "i" and e["tid"] == 4 and "FAIL_ENTRY" in e["name"] for e in ev):
        fail("no FAIL_ENTRY instant")


def timeline_counters():
    path = out("count.json")
    run("--guest", guest("migrate_count"), "--timeline", path)
    ev = timeline(path)
    values = [e["args"]["value"] for e in ev if e["ph"] == "C" and e["name"] == "vCPU 0 PMEVCNTR0"]
    if len(values) < 2 or values != sorted(values) or values[-1] <= values[0]:
        fail(f"PMEVCNTR0 counter track: {values[:10]}")


def deterministic():
    for opt in ("--json", "--timeline"):
        a, b = out(f"a{opt}"), out(f"b{opt}")
        run(*RESET_DEMO, opt, a)
        run(*RESET_DEMO, opt, b)
        if open(a, "rb").read() != open(b, "rb").read():
            fail(f"two runs with {opt} differ")


def reinit():
    path = out("hello.json")
    p = run("--guest", guest("hello"), "--reinit-runs", "2", "--json", path)
    single = run("--guest", guest("hello")).stdout
    if not single or p.stdout != single * 3:
        fail(f"--reinit-runs 2 output is not 3 copies of a run:\n{p.stdout}")
    doc = validate(path)
    if doc["runs"] != 3 or doc["exit"]["reason"] != "guest-exit":
        fail(f"runs/exit: {doc['runs']} {doc['exit']}")
    path = out("reset_demo.timeline")
    p = run(*RESET_DEMO, "--reinit-runs", "1", "--timeline", path)
    if p.stdout.count("N is the same for every vCPU and every boot") != 2:
        fail(f"reset_demo did not run twice:\n{p.stdout}")
    def inits(events):
        return sum(1 for e in events if e["ph"] == "i" and e["name"] == "vCPU 1 reset (KVM_ARM_VCPU_INIT)")
    ev = timeline(path)
    once = out("reset_demo_once.timeline")
    run(*RESET_DEMO, "--timeline", once)
    if inits(ev) != inits(timeline(once)) + 1 or not any(e["name"] == "re-init: run 2" for e in ev):
        fail(f"expected one more KVM_ARM_VCPU_INIT of vCPU 1 and a re-init instant: {inits(ev)}")
    # A failing run is not repeated.
    p = run("--guest", guest("spin"), "--max-insns", "1000", "--reinit-runs", "3", expect=3)


SCENARIOS = {f.__name__: f for f in (json_schema, timeline_tracks, timeline_counters, deterministic, reinit)}
os.makedirs(WORK, exist_ok=True)
SCENARIOS[SCENARIO]()
print(f"ok: {SCENARIO}")
