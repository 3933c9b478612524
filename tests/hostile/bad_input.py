#!/usr/bin/env python3
"""Bad input catalogue: every row of the table in docs/reliability.md ("Bad input")
that names a `bad_input_<case>` test is one case here. Each case writes its input files
(YAML, ELF, snapshot bytes) into its own directory, runs pmuemu there with file names
relative to it, and checks the exit status and the exact stderr (stdout must be empty).

usage: bad_input.py PMUEMU SOURCE_DIR GUEST_DIR WORK_DIR --list
       bad_input.py PMUEMU SOURCE_DIR GUEST_DIR WORK_DIR --case NAME
       bad_input.py PMUEMU SOURCE_DIR GUEST_DIR WORK_DIR --all
       bad_input.py PMUEMU SOURCE_DIR GUEST_DIR WORK_DIR --check-doc DOC.md [BUILD_DIR]
The last form checks that every `bad_input_*` name in the document is a case, that its
row shows exactly that case's message, that every case appears in the document and (with
BUILD_DIR) that every test named in the bad-input table is a ctest of that build.
"""
import os
import re
import resource
import shutil
import struct
import subprocess
import sys

RAM = 0x40000000
LINK = 0x40080000


# ---------------------------------------------------------------------- ELF images
def elf(*, cls=2, data=1, ident_version=1, etype=2, machine=183, version=1, entry=LINK, phoff=64,
        phentsize=56, phnum=None, segments=None, code=b"\x00\x00\x80\xd2\xc0\x03\x5f\xd6"):
    """An ELF64 executable built field by field; each keyword is one header field."""
    if segments is None:
        segments = [dict(type=1, offset=0x1000, vaddr=LINK, paddr=LINK, filesz=len(code), memsz=len(code))]
    n = len(segments) if phnum is None else phnum
    hdr = b"\x7fELF" + bytes([cls, data, ident_version]) + bytes(9)
    hdr += struct.pack("<HHIQQQIHHHHHH", etype, machine, version, entry, phoff, 0, 0, 64, phentsize, n, 0, 0, 0)
    ph = b"".join(struct.pack("<IIQQQQQQ", s.get("type", 1), 5, s["offset"], s["vaddr"], s["paddr"], s["filesz"],
                              s["memsz"], 0x1000) for s in segments)
    img = bytearray(hdr + ph)
    img += bytes(max(0, 0x1000 - len(img)))
    img += code
    return bytes(img)


def seg(paddr, size=8, offset=0x1000, filesz=None, vaddr=None, type=1):
    return dict(type=type, offset=offset, vaddr=paddr if vaddr is None else vaddr, paddr=paddr,
                filesz=size if filesz is None else filesz, memsz=size)


# ---------------------------------------------------------------------- snapshots
def fnv1a64(b: bytes) -> int:
    h = 0xcbf29ce484222325
    for x in b:
        h = ((h ^ x) * 0x100000001b3) & 0xffffffffffffffff
    return h


def with_checksum(body: bytes) -> bytes:
    return body + struct.pack("<Q", fnv1a64(body))


def header_offsets(snap: bytes):
    """Offsets of the header fields after the three strings (docs/snapshot.md)."""
    pos = 8
    version_at = pos
    pos += 4
    for _ in range(3):
        (n,) = struct.unpack_from("<I", snap, pos)
        pos += 4 + n
    pos += 1 + 4  # pmu, pmu_irq
    return {"version": version_at, "vcpus": pos, "ram_size": pos + 12, "first_string": 12}


def patched(snap: bytes, field: str, fmt: str, value: int) -> bytes:
    body = bytearray(snap[:-8])
    struct.pack_into(fmt, body, header_offsets(snap)[field], value)
    return with_checksum(bytes(body))


def with_era(snap: bytes, era: str) -> bytes:
    """The kernel era string (the second string of the header) replaced."""
    (n,) = struct.unpack_from("<I", snap, 12)
    at = 16 + n
    (m,) = struct.unpack_from("<I", snap, at)
    return with_checksum(snap[:at] + struct.pack("<I", len(era)) + era.encode() + snap[at + 4 + m:-8])


# ---------------------------------------------------------------------- the cases
# name: (args, status, stderr, files) -- files: {name: bytes | str | callable(ctx) -> bytes}
# In args and stderr: {H} the big-little host file, {CFG} configs/, {G} the guest dir,
# {hello} guests/hello.elf.
GOOD_HOST = "name: h\nclusters:\n  - { core: cortex-a55, cpus: 2 }\n"
CASES = {}


def case(name, args, status, stderr, files=None):
    assert name not in CASES, name
    CASES[name] = (args, status, stderr, files or {})


RUN = ["run", "--host", "{H}", "--guest", "{hello}"]
# -- command line
case("no_command", [], 64, "usage: pmuemu COMMAND [OPTIONS]\n...")
case("unknown_command", ["frobnicate"], 64, "pmuemu: error: unknown command 'frobnicate' (try 'pmuemu --help')")
case("unknown_option", RUN + ["--frob"], 64, "pmuemu: error: run: unknown option '--frob' (try 'pmuemu run --help')")
case("option_without_value", RUN + ["--max-insns"], 64, "pmuemu: error: run: option '--max-insns' needs a value (N)")
case("missing_host", ["run", "--guest", "{hello}"], 64, "pmuemu: error: run: --host HOST.yaml is required")
case("missing_guest", ["run", "--host", "{H}"], 64, "pmuemu: error: run: --guest GUEST.elf is required")
case("guest_and_restore", RUN + ["--restore", "x.snap"], 64,
     "pmuemu: error: run: --restore and --guest exclude each other (the snapshot holds the guest)")
case("save_without_stop", RUN + ["--save", "x.snap"], 64, "pmuemu: error: run: --save needs one of --stop-after-insns N and --save-at-pc ADDR")
case("stop_without_save", RUN + ["--stop-after-insns", "5"], 64, "pmuemu: error: run: --stop-after-insns goes with --save SNAP")
case("number_not_a_number", RUN + ["--arg", "zz"], 64, "pmuemu: error: --arg: expected a number, got 'zz'")
case("number_trailing_junk", RUN + ["--max-insns", "10x"], 64, "pmuemu: error: --max-insns: expected a number, got '10x'")
case("number_negative", RUN + ["--max-insns", "-5"], 64, "pmuemu: error: --max-insns: expected a non-negative number, got '-5'")
case("number_beyond_64_bits", RUN + ["--max-insns", "99999999999999999999999"], 64,
     "pmuemu: error: --max-insns: expected a number, got '99999999999999999999999'")
case("vcpus_zero", RUN + ["--vcpus", "0"], 64, "pmuemu: error: --vcpus: must be between 1 and 64, got 0")
case("vcpus_65", RUN + ["--vcpus", "65"], 64, "pmuemu: error: --vcpus: must be between 1 and 64, got 65")
case("ram_mib_zero", RUN + ["--ram-mib", "0"], 64, "pmuemu: error: --ram-mib: must be between 1 and 4096, got 0")
case("ram_mib_4097", RUN + ["--ram-mib", "4097"], 64, "pmuemu: error: --ram-mib: must be between 1 and 4096, got 4097")
case("pmcr_n_32", RUN + ["--pmcr-n", "32"], 64, "pmuemu: error: --pmcr-n: PMCR_EL0.N is 0..31, got 32")
case("nr_counters_32", RUN + ["--nr-counters", "32"], 64, "pmuemu: error: --nr-counters: 0..31, got 32")
case("max_resets_too_many", RUN + ["--max-resets", "1000001"], 64, "pmuemu: error: --max-resets: at most 1000000")
case("reinit_runs_too_many", RUN + ["--reinit-runs", "1000001"], 64, "pmuemu: error: --reinit-runs: at most 1000000, got 1000001")
case("unknown_trace", RUN + ["--trace", "vmm,bogus"], 64, "pmuemu: error: --trace: unknown trace 'bogus' (known: insn, sysreg, reset, reset-summary, vmm)")
case("trace_vmm_with_bare", RUN + ["--bare", "--trace", "vmm"], 64,
     "pmuemu: error: --trace vmm traces the KVM model: not valid with --bare (insn, sysreg are)")
case("kvm_option_with_bare", RUN + ["--bare", "--vcpus", "2"], 64, "pmuemu: error: --vcpus is a KVM option: not valid with --bare")
case("unknown_kvm_era", RUN + ["--kvm", "5.10"], 64, "pmuemu: error: --kvm: unknown kernel era '5.10' (known: 6.6, v5, 6.7, 6.12, 6.15, 6.16, newest, 7.3-strict, proposal-fixed-counters, proposal-partition)")
case("unknown_timing", RUN + ["--timing", "fast"], 64, "pmuemu: error: --timing: expected 'cycle' or 'functional', got 'fast'")
case("pmu_core_not_on_host", RUN + ["--pmu", "cortex-x1"], 64,
     "pmuemu: error: --pmu: host 'big-little' has no cluster of core type 'cortex-x1'")
case("vmm_cpu_missing", RUN + ["--vmm-cpu", "8"], 64, "pmuemu: error: --vmm-cpu: host 'big-little' has pCPUs 0..7, not 8")
case("affinity_without_equals", RUN + ["--affinity", "1"], 64, "pmuemu: error: --affinity: expected VCPU=CPULIST, got '1'")
case("affinity_missing_vcpu", RUN + ["--vcpus", "2", "--affinity", "3=1"], 64,
     "pmuemu: error: --affinity: vCPU 3 does not exist (--vcpus 2)")
case("affinity_missing_pcpu", RUN + ["--vcpus", "2", "--affinity", "1=9"], 64,
     "pmuemu: error: --affinity: host 'big-little' has pCPUs 0..7, not '9'")
case("affinity_empty_list", RUN + ["--affinity", "0="], 64, "pmuemu: error: --affinity: empty CPU list in '0='")
case("affinity_garbage_range", RUN + ["--affinity", "0=a-b"], 64, "pmuemu: error: --affinity: expected a number, got 'a'")
case("affinity_reversed_range", RUN + ["--affinity", "0=5-2"], 64, "pmuemu: error: --affinity: host 'big-little' has pCPUs 0..7, not '5-2'")
case("affinity_range_to_4g", RUN + ["--affinity", "0=0-4294967295"], 64,
     "pmuemu: error: --affinity: host 'big-little' has pCPUs 0..7, not '0-4294967295'")
case("arg_negative", RUN + ["--arg", "-1"], 64, "pmuemu: error: --arg: expected a non-negative number, got '-1'")
case("arg_hex_prefix_only", RUN + ["--arg", "0x"], 64, "pmuemu: error: --arg: expected a number, got '0x'")
case("trace_empty_item", RUN + ["--trace", "vmm,,reset"], 64, "pmuemu: error: --trace: unknown trace '' (known: insn, sysreg, reset, reset-summary, vmm)")
case("reinit_runs_with_restore", ["run", "--host", "{H}", "--restore", "x.snap", "--reinit-runs", "1"], 64,
     "pmuemu: error: --reinit-runs boots the guest ELF again: not valid with --restore")
case("json_with_bare", RUN + ["--bare", "--json", "out.json"], 64, "pmuemu: error: --json is a KVM option: not valid with --bare")
case("json_unwritable", RUN + ["--json", "no-such-dir/out.json"], 65,
     "pmuemu: error: no-such-dir/out.json: cannot write: No such file or directory")
case("timeline_is_a_directory", RUN + ["--timeline", "."], 65, "pmuemu: error: .: cannot write: Is a directory")
case("nr_counters_before_6_16", RUN + ["--nr-counters", "2"], 5,
     "pmuemu: error: KVM_SET_DEVICE_ATTR(vcpu0, PMU_V3_SET_NR_COUNTERS, 2) failed: ENXIO")
case("pmcr_n_above_host_v5", RUN + ["--kvm", "v5", "--pmcr-n", "9"], 5,
     "pmuemu: error: KVM_SET_ONE_REG(vcpu0, PMCR_EL0, 0x4840) failed: EINVAL")
case("plan_no_hosts", ["plan"], 64, "pmuemu: error: plan: missing HOST.yaml (try 'pmuemu plan --help')")
case("plan_bad_n", ["plan", "--n", "40", "{H}"], 64, "pmuemu: error: plan: --n: expected a counter count 0..31, got '40'")
case("host_show_no_file", ["host", "show"], 64, "pmuemu: error: host show: missing FILE (try 'pmuemu host show --help')")
case("conformance_unknown_era", ["conformance", "--host", "{H}", "--kvm", "4.19"], 64,
     "pmuemu: error: --kvm: unknown kernel era '4.19' (known: 6.6, v5, 6.7, 6.12, 6.15, 6.16, newest, 7.3-strict, proposal-fixed-counters, proposal-partition, or all)")

# -- host and core files
HOSTRUN = ["run", "--host", "bad.yaml", "--guest", "{hello}"]
case("host_missing", ["run", "--host", "nope.yaml", "--guest", "{hello}"], 65, "pmuemu: error: nope.yaml: cannot read: No such file or directory")
case("host_is_a_directory", ["run", "--host", ".", "--guest", "{hello}"], 65, "pmuemu: error: .: cannot read: is a directory")
case("host_empty", HOSTRUN, 65, "pmuemu: error: bad.yaml: top level must be a map with keys 'name' and 'clusters', got nothing", {"bad.yaml": ""})
case("host_malformed", HOSTRUN, 65, "pmuemu: error: bad.yaml:4: malformed YAML: end of map flow not found",
     {"bad.yaml": "name: x\nclusters:\n  - { core: cortex-a55, cpus: 4\n"})
case("host_is_an_elf_file", HOSTRUN, 65, "pmuemu: error: bad.yaml:1: malformed YAML: unknown escape character: ", {"bad.yaml": lambda: elf()})
case("host_stray_flow_indicators", HOSTRUN, 65, "pmuemu: error: bad.yaml: malformed YAML: unexpected flow indicator outside a flow collection",
     {"bad.yaml": "#l\n,,,,,,,,n\n"})
case("host_two_documents", HOSTRUN, 65, "pmuemu: error: bad.yaml:2: contains more than one YAML document; expected one", {"bad.yaml": "name: a\n---\nname: b\n"})
case("host_unknown_key", HOSTRUN, 65, "pmuemu: error: bad.yaml:1: (top level): unknown key 'nmae'; did you mean 'name'?",
     {"bad.yaml": "nmae: x\nclusters: [{ core: cortex-a55, cpus: 1 }]\n"})
case("host_unknown_core", HOSTRUN, 65,
     "pmuemu: error: bad.yaml:3: clusters[0].core: unknown core 'cortx-a55'; known cores: a64fx, cortex-a53, cortex-a55, cortex-a76, cortex-a78, cortex-x1, neoverse-n1, neoverse-v1; did you mean 'cortex-a55'?",
     {"bad.yaml": "name: x\nclusters:\n  - { core: cortx-a55, cpus: 1 }\n"})
case("host_cpus_zero", HOSTRUN, 65, "pmuemu: error: bad.yaml:2: clusters[0].cpus: 0 is out of range 1..256",
     {"bad.yaml": "name: x\nclusters: [{ core: cortex-a55, cpus: 0 }]\n"})
case("host_cpus_beyond_uint64", HOSTRUN, 65,
     "pmuemu: error: bad.yaml:2: clusters[0].cpus: 99999999999999999999999 is out of range 1..256",
     {"bad.yaml": "name: x\nclusters: [{ core: cortex-a55, cpus: 99999999999999999999999 }]\n"})
case("host_too_many_pcpus", HOSTRUN, 65,
     "pmuemu: error: bad.yaml:4: clusters[1].cpus: the host would have 257 pCPUs; at most 256 are supported",
     {"bad.yaml": "name: x\nclusters:\n  - { core: cortex-a55, cpus: 200 }\n  - { core: cortex-a76, cpus: 57 }\n"})
case("host_counters_32", HOSTRUN, 65, "pmuemu: error: bad.yaml:2: clusters[0].pmu.counters: 32 is out of range 0..31",
     {"bad.yaml": "name: x\nclusters: [{ core: cortex-a55, cpus: 4, pmu: { counters: 32 } }]\n"})
case("host_duplicate_key", HOSTRUN, 65, "pmuemu: error: bad.yaml:2: name: key appears twice",
     {"bad.yaml": "name: a\nname: b\nclusters: [{ core: cortex-a55, cpus: 1 }]\n"})
case("host_deep_nesting", HOSTRUN, 65, "pmuemu: error: bad.yaml:2: malformed YAML: bad file",
     {"bad.yaml": "[" * 100000 + "]" * 100000 + "\n"})
case("host_own_core_file_broken", ["run", "--host", "h/host.yaml", "--guest", "{hello}"], 65,
     "pmuemu: error: h/cores/cortex-a55.yaml:2: malformed YAML: end of map flow not found (core 'cortex-a55' named at h/host.yaml:3)",
     {"h/host.yaml": GOOD_HOST, "h/cores/cortex-a55.yaml": "{ name: cortex-a55\n"})

# -- guest ELF
ELFRUN = ["run", "--host", "{H}", "--guest", "bad.elf"]
case("elf_missing", ["run", "--host", "{H}", "--guest", "nope.elf"], 65, "pmuemu: error: nope.elf: cannot read: No such file or directory")
case("elf_is_a_directory", ["run", "--host", "{H}", "--guest", "."], 65, "pmuemu: error: .: cannot read: is a directory")
case("elf_empty", ELFRUN, 65, "pmuemu: error: bad.elf: not an ELF file (no \\x7fELF magic)", {"bad.elf": b""})
case("elf_text_file", ELFRUN, 65, "pmuemu: error: bad.elf: not an ELF file (no \\x7fELF magic)", {"bad.elf": "#!/bin/sh\necho hi\n"})
case("elf_truncated_header", ELFRUN, 65, "pmuemu: error: bad.elf: truncated ELF header (20 bytes, need 64)", {"bad.elf": lambda: elf()[:20]})
case("elf_32_bit", ELFRUN, 65, "pmuemu: error: bad.elf: 32-bit ELF (ELFCLASS32) is not supported; expected ELFCLASS64", {"bad.elf": lambda: elf(cls=1)})
case("elf_big_endian", ELFRUN, 65, "pmuemu: error: bad.elf: big-endian ELF is not supported; expected little-endian", {"bad.elf": lambda: elf(data=2)})
case("elf_x86_64", ELFRUN, 65, "pmuemu: error: bad.elf: not an AArch64 ELF (e_machine 62, expected 183)", {"bad.elf": lambda: elf(machine=62)})
case("elf_shared_object", ELFRUN, 65, "pmuemu: error: bad.elf: not an executable (ET_EXEC) ELF: ET_DYN, a shared object or position-independent executable: link with -static -no-pie",
     {"bad.elf": lambda: elf(etype=3)})
case("elf_no_program_headers", ELFRUN, 65, "pmuemu: error: bad.elf: no program headers, so nothing to load", {"bad.elf": lambda: elf(segments=[])})
case("elf_phnum_xnum", ELFRUN, 65, "pmuemu: error: bad.elf: extended program header numbering (e_phnum = 0xffff) is not supported",
     {"bad.elf": lambda: elf(phnum=0xffff)})
case("elf_program_headers_past_end", ELFRUN, 65,
     "pmuemu: error: bad.elf: program headers (1 at offset 0xffffffffffffff00) extend past the end of the file (4104 bytes)",
     {"bad.elf": lambda: elf(phoff=0xffffffffffffff00)})
case("elf_segment_outside_ram", ELFRUN, 65,
     "pmuemu: error: bad.elf: segment 0: physical range 0x1000 + 0x8 is outside RAM 0x40000000 + 0x8000000",
     {"bad.elf": lambda: elf(entry=0x1000, segments=[seg(0x1000)])})
case("elf_segment_wraps_address_space", ELFRUN, 65,
     "pmuemu: error: bad.elf: segment 0: physical range 0xfffffffffffffff8 + 0x10 is outside RAM 0x40000000 + 0x8000000",
     {"bad.elf": lambda: elf(segments=[seg(0xfffffffffffffff8, size=16, filesz=8)])})
case("elf_segment_beyond_small_ram", ELFRUN + ["--ram-mib", "1"], 65,
     "pmuemu: error: bad.elf: segment 0: physical range 0x0000000040080000 + 0x0000000000000008 is outside guest RAM 0x0000000040000000..0x00000000400fffff"
     if False else
     "pmuemu: error: bad.elf: segment 0: physical range 0x40100000 + 0x8 is outside RAM 0x40000000 + 0x100000",
     {"bad.elf": lambda: elf(entry=0x40100000, segments=[seg(0x40100000)])})
case("elf_filesz_above_memsz", ELFRUN, 65,
     "pmuemu: error: bad.elf: segment 0: p_filesz 0x10 is larger than p_memsz 0x8",
     {"bad.elf": lambda: elf(segments=[seg(LINK, filesz=16)])})
case("elf_data_past_end_of_file", ELFRUN, 65,
     "pmuemu: error: bad.elf: segment 0: data (0x100 bytes at offset 0x1000) extends past the end of the file (4104 bytes)",
     {"bad.elf": lambda: elf(segments=[seg(LINK, size=0x100)])})
case("elf_entry_outside_segments", ELFRUN, 65,
     "pmuemu: error: bad.elf: entry point 0x40090000 is not inside a loaded segment",
     {"bad.elf": lambda: elf(entry=0x40090000)})
case("elf_overlapping_segments", ELFRUN, 65,
     "pmuemu: error: bad.elf: segments 0 and 1 overlap in physical memory (0x40080000 + 0x8 and 0x40080004)",
     {"bad.elf": lambda: elf(segments=[seg(LINK), seg(LINK + 4)])})

# -- snapshots (made from a real one: `run --save` of hello.elf after 20000 instructions)
RESTORE = ["run", "--host", "{H}", "--restore", "bad.snap"]
case("snapshot_missing", ["run", "--host", "{H}", "--restore", "nope.snap"], 65, "pmuemu: error: nope.snap: cannot open snapshot")
case("snapshot_empty", RESTORE, 65, "pmuemu: error: bad.snap: not a pmuemu snapshot (bad magic)", {"bad.snap": b""})
case("snapshot_bad_magic", RESTORE, 65, "pmuemu: error: bad.snap: not a pmuemu snapshot (bad magic)", {"bad.snap": lambda s: b"NOTASNAP" + s[8:]})
case("snapshot_truncated", RESTORE, 65, "pmuemu: error: bad.snap: checksum mismatch: the snapshot is corrupted or truncated",
     {"bad.snap": lambda s: s[: len(s) // 2]})
case("snapshot_bit_flipped", RESTORE, 65, "pmuemu: error: bad.snap: checksum mismatch: the snapshot is corrupted or truncated",
     {"bad.snap": lambda s: s[:100] + bytes([s[100] ^ 1]) + s[101:]})
case("snapshot_newer_version", RESTORE, 65, "pmuemu: error: bad.snap: snapshot version 99, this pmuemu reads versions 1 and 2",
     {"bad.snap": lambda s: patched(s, "version", "<I", 99)})
case("snapshot_zero_vcpus", RESTORE, 65, "pmuemu: error: bad.snap: vCPU count 0 out of range", {"bad.snap": lambda s: patched(s, "vcpus", "<I", 0)})
case("snapshot_huge_ram", RESTORE, 65, "pmuemu: error: bad.snap: RAM size 18446744073709547520 out of range",
     {"bad.snap": lambda s: patched(s, "ram_size", "<Q", 0xfffffffffffff000)})
case("snapshot_string_too_long", RESTORE, 65, "pmuemu: error: bad.snap: string field of 4294967295 bytes",
     {"bad.snap": lambda s: patched(s, "first_string", "<I", 0xffffffff)})
case("snapshot_trailing_bytes", RESTORE, 65, "pmuemu: error: bad.snap: trailing bytes after the RAM pages",
     {"bad.snap": lambda s: with_checksum(s[:-8] + b"\x00" * 8)})
case("snapshot_4gib_ram_then_garbage", RESTORE, 65, "pmuemu: error: bad.snap: trailing bytes after the RAM pages",
     {"bad.snap": lambda s: with_checksum(patched(s, "ram_size", "<Q", 4096 << 20)[:-8] + b"\x00" * 8)})
MAX_RSS_MIB = {"snapshot_4gib_ram_then_garbage": 1024}  # refused before the 4 GiB of RAM is allocated


def truncated_message(err, cwd):
    """Where a cut snapshot ends depends on the format's layout (the register list grows
    with the model), so the message is checked for what it claims: one line naming the
    file, and a read that starts inside the file and runs past its end."""
    m = re.fullmatch(r"pmuemu: error: bad\.snap: truncated snapshot \(needs (\d+) more bytes at offset (\d+)\)\n", err)
    if not m:
        return f"stderr is not one truncated-snapshot line: {err!r}"
    need, at = int(m.group(1)), int(m.group(2))
    size = os.path.getsize(os.path.join(cwd, "bad.snap"))
    if not (need > 0 and at <= size < at + need):
        return f"the message claims a read of {need} bytes at offset {at}, which does not run past the end of the {size}-byte file"
    return None


case("snapshot_truncated_with_checksum", RESTORE, 65, truncated_message,
     {"bad.snap": lambda s: with_checksum(s[:4000])})
case("restore_fixes_vcpus", ["run", "--host", "{H}", "--restore", "x.snap", "--vcpus", "2"], 64,
     "pmuemu: error: --vcpus is not valid with --restore: the snapshot fixes the number of vCPUs")
case("restore_fixes_pmcr_n", ["run", "--host", "{H}", "--restore", "x.snap", "--pmcr-n", "4"], 64,
     "pmuemu: error: --pmcr-n is not valid with --restore: the snapshot fixes PMCR_EL0.N (restored with the saved "
     "PMCR_EL0)")
case("allow_era_change_without_restore", RUN + ["--allow-era-change"], 64,
     "pmuemu: error: --allow-era-change goes with --restore SNAP")
case("snapshot_other_era", RESTORE + ["--kvm", "6.6"], 6,
     "pmuemu: error: restore refused: bad.snap was taken under KVM era 6.7, --kvm asks for era 6.6 (the vPMU rules "
     "differ; --allow-era-change restores it anyway)", {"bad.snap": lambda s: s})
case("snapshot_unknown_era", RESTORE, 65,
     "pmuemu: error: bad.snap: the snapshot was taken under KVM era '9.9', which this pmuemu does not model "
     "(pmuemu --version lists the eras it models)", {"bad.snap": lambda s: with_era(s, "9.9")})
case("snapshot_to_host_with_fewer_counters", ["run", "--host", "{CFG}/small-4ctr.yaml", "--restore", "big.snap"], 6,
     "pmuemu: error: restore refused: the snapshot's PMCR_EL0.N is 6 but the destination kept N = 4 on vcpu0 (its PMU allows at most 4 counters)",
     {"big.snap": "SERVER_SNAPSHOT"})


def expand(s, ctx):
    return s.format(**ctx) if isinstance(s, str) else s


def write_files(work, files, ctx):
    for rel, content in files.items():
        path = os.path.join(work, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if content == "SERVER_SNAPSHOT":
            content = ctx["server_snapshot"]()
        elif callable(content):
            content = content(ctx["snapshot"]()) if content.__code__.co_argcount == 1 else content()
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)


def make_snapshot(pmuemu, host, guest, path, extra=()):
    # Taken afresh by the pmuemu under test: one left by an earlier build would have that
    # build's layout.
    if not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(pmuemu):
        subprocess.run([pmuemu, "run", "--host", host, "--guest", guest, "--save", path, "--stop-after-insns", "20000", *extra],
                       check=True, capture_output=True, timeout=120)
    with open(path, "rb") as f:
        return f.read()


def run_case(name, pmuemu, src, guests, work):
    args, status, want_err, files = CASES[name]
    cwd = os.path.join(work, name)
    shutil.rmtree(cwd, ignore_errors=True)
    os.makedirs(cwd)
    cfg = os.path.join(src, "configs")
    ctx = {"H": os.path.join(cfg, "big-little.yaml"), "CFG": cfg, "G": guests, "hello": os.path.join(guests, "hello.elf")}
    os.makedirs(work, exist_ok=True)
    ctx["snapshot"] = lambda: make_snapshot(pmuemu, ctx["H"], os.path.join(guests, "migrate_count.elf"),
                                            os.path.join(work, "good-" + name + ".snap"))
    ctx["server_snapshot"] = lambda: make_snapshot(pmuemu, os.path.join(cfg, "server-n1.yaml"), os.path.join(guests, "migrate_count.elf"),
                                                   os.path.join(work, "server-" + name + ".snap"))
    write_files(cwd, files, ctx)
    cmd = [pmuemu] + [expand(a, ctx) for a in args]
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    problems = []
    if p.returncode != status:
        problems.append(f"exit status {p.returncode}, expected {status}")
    err = p.stderr.decode(errors="replace")
    if callable(want_err):
        problem = want_err(err, cwd)
        if problem:
            problems.append(problem)
    elif want_err is not None and want_err.endswith("\n..."):  # a usage text: its first line
        if not err.startswith(want_err[:-3]):
            problems.append(f"stderr does not start with {want_err[:-4]!r}: {err[:200]!r}")
    elif want_err is not None and err != expand(want_err, ctx) + "\n":
        problems.append(f"stderr:\n  expected: {expand(want_err, ctx)!r}\n  actual:   {err!r}")
    if want_err is None and (len(err.splitlines()) != 1 or not err.startswith("pmuemu: error: ")):
        problems.append(f"stderr is not one 'pmuemu: error:' line: {err!r}")
    if p.stdout:
        problems.append(f"stdout not empty: {p.stdout[:200]!r}")
    if name in MAX_RSS_MIB:
        rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
        if rss_mib > MAX_RSS_MIB[name]:
            problems.append(f"peak RSS {rss_mib} MiB, at most {MAX_RSS_MIB[name]} MiB expected")
    if problems:
        print(f"FAIL bad_input_{name}: (cd {cwd} && {' '.join(cmd)})")
        for x in problems:
            print("- " + x)
        return 1
    print(f"ok bad_input_{name}: status {status}: {err.splitlines()[0] if err else ''}")
    return 0


def ctest_names(build_dir):
    p = subprocess.run(["ctest", "-N"], cwd=build_dir, capture_output=True, text=True, check=True)
    return set(re.findall(r"Test\s+#\d+: (\S+)", p.stdout))


def boost_cases(exe):
    """Every suite/case path of a Boost.Test executable (its --list_content tree)."""
    p = subprocess.run([exe, "--list_content"], capture_output=True, text=True)
    paths, stack = set(), []
    for line in (p.stdout + p.stderr).splitlines():
        m = re.match(r"( *)(\w+)\*?$", line)
        if not m:
            continue
        depth = len(m.group(1)) // 4
        stack = stack[:depth] + [m.group(2)]
        paths.add("/".join(stack))
    return paths


def check_doc(doc, build_dir=None):
    text = open(doc, encoding="utf-8").read()
    named = set(re.findall(r"`bad_input_(\w+)`", text))
    problems = [f"the document names bad_input_{n}, which is not a case" for n in sorted(named - CASES.keys())]
    problems += [f"case bad_input_{n} is missing from the document" for n in sorted(CASES.keys() - named)]
    section = text.split("## Bad input", 1)[1].split("\n## ", 1)[0] if "## Bad input" in text else ""
    for line in section.splitlines():
        # The row of a case: its test cell names that case alone.
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        own = re.fullmatch(r"`bad_input_(\w+)`", cells[-1]) if line.startswith("|") else None
        if not own or own.group(1) not in CASES:
            continue
        n = own.group(1)
        if callable(CASES[n][2]):  # a message checked for its form: the row shows an instance
            if "`pmuemu: error: " not in line:
                problems.append(f"row of bad_input_{n} shows no message")
            continue
        shown = CASES[n][2].split("\n")[0].replace("{H}", "configs/big-little.yaml").replace("|", "\\|")
        if f"`{shown}`" not in line:
            problems.append(f"row of bad_input_{n} does not show its message `{shown}`")
    if build_dir:
        # Every test named in the last column of the bad-input table is a ctest (a Boost
        # sub-case is written `unit_emu/suite/case`: its executable's test must exist).
        tests = ctest_names(build_dir)
        boost_trees = {}
        section = text.split("## Bad input", 1)[1].split("\n## ", 1)[0]
        for line in section.splitlines():
            if not line.startswith("|") or line.startswith("|---"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if cells[-1] == "test":
                continue
            names = re.findall(r"`([\w./-]+)`", cells[-1])
            if not names:
                problems.append(f"row without a test: {line[:100]}")
            for n in names:
                if n.startswith("fuzz_"):
                    continue  # the fuzz targets' ctests exist in the fuzz build only
                exe, _, case_path = n.partition("/")
                if exe not in tests:
                    problems.append(f"{n} (in a row of the bad-input table) is not a ctest")
                elif case_path:
                    if exe not in boost_trees:
                        boost_trees[exe] = boost_cases(os.path.join(build_dir, "bin", exe))
                    if case_path not in boost_trees[exe]:
                        problems.append(f"{n}: {exe} has no test case {case_path}")
    for x in problems:
        print("FAIL: " + x)
    print(f"{len(named)} bad_input cases named in {doc}, {len(CASES)} cases, {len(problems)} problems")
    return 1 if problems else 0


def main() -> int:
    pmuemu, src, guests, work = (os.path.abspath(x) for x in sys.argv[1:5])
    mode = sys.argv[5]
    if mode == "--list":
        print(";".join(CASES))
        return 0
    if mode == "--case":
        return run_case(sys.argv[6], pmuemu, src, guests, work)
    if mode == "--check-doc":
        return check_doc(sys.argv[6], sys.argv[7] if len(sys.argv) > 7 else None)
    if mode == "--all":
        return sum(run_case(n, pmuemu, src, guests, work) for n in CASES) and 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
