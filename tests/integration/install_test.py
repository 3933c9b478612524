#!/usr/bin/env python3
"""Packaging (docs/install.md): `cmake --install` into a clean prefix, moved elsewhere, runs
the demo exactly as the build tree does and uses its own catalogue; the guest template builds
against it with find_package(pmuemu) and runs; `cpack -G DEB` builds a .deb whose contents,
extracted, run the demo too.

usage: install_test.py BUILD_DIR WORK_DIR
"""
import os
import re
import shutil
import subprocess
import sys

BUILD, WORK = sys.argv[1:3]


def fail(what):
    print("FAIL: " + what)
    sys.exit(1)


def sh(cmd, cwd=None, ok=(0,)):
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=600)
    if p.returncode not in ok:
        fail(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return p


def demo(prefix, *extra):
    return sh([f"{prefix}/bin/pmuemu", "run", "--host", f"{prefix}/share/pmuemu/configs/big-little.yaml",
               "--guest", f"{prefix}/share/pmuemu/guests/hello.elf", *extra])


for tool in ("cmake", "cpack", "dpkg-deb", "clang", "ld.lld", "ninja"):
    if not shutil.which(tool):
        fail(f"{tool} is needed (run scripts/install-deps)")
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
stage, moved = os.path.join(WORK, "stage"), os.path.join(WORK, "moved")
sh(["cmake", "--install", BUILD, "--prefix", stage])
os.rename(stage, moved)  # nothing may depend on the prefix it was installed to

# The demo from the installed tree prints what the build tree's pmuemu prints.
want = sh([f"{BUILD}/bin/pmuemu", "run", "--host", f"{moved}/share/pmuemu/configs/big-little.yaml", "--guest",
           f"{BUILD}/guests/hello.elf"]).stdout
got = demo(moved).stdout
if got != want or "hello from pmuemu" not in got:
    fail(f"installed demo output differs:\n{got}\nvs\n{want}")
for rel in ("share/man/man1/pmuemu.1", "share/bash-completion/completions/pmuemu"):
    if open(f"{moved}/{rel}").read() != open(f"{BUILD}/{rel}").read():
        fail(f"{rel} differs from the build's")
if sh([f"{moved}/bin/pmuemu", "--version"]).stdout != sh([f"{BUILD}/bin/pmuemu", "--version"]).stdout:
    fail("--version differs")

# The installed binary's default core catalogue is the installed one: change a core there and
# load a host file that has no cores/ directory beside it.
core = f"{moved}/share/pmuemu/configs/cores/cortex-a55.yaml"
text = open(core).read()
text2, n = re.subn(r"(?m)^(\s*counters:\s*)\d+", r"\g<1>3", text, count=1)
if n != 1:
    fail(f"no 'counters:' in {core}")
open(core, "w").write(text2)
host = os.path.join(WORK, "one.yaml")
open(host, "w").write("name: one\nclusters:\n  - { core: cortex-a55, cpus: 1 }\n")
show = sh([f"{moved}/bin/pmuemu", "host", "show", host]).stdout
if "PMUv3.1 N=3" not in show:
    fail(f"the installed catalogue was not used:\n{show}")
open(core, "w").write(text)

# The guest template: five lines of CMake against the installed SDK.
tpl = os.path.join(WORK, "template")
shutil.copytree(f"{moved}/share/doc/pmuemu/template", tpl)
if len([l for l in open(f"{tpl}/CMakeLists.txt") if l.strip()]) > 5:
    fail("the template's CMakeLists.txt is more than five lines")
sh(["cmake", "-S", tpl, "-B", f"{tpl}/build", "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={moved}"])
sh(["cmake", "--build", f"{tpl}/build"])
elf = f"{tpl}/build/my_guest.elf"
for n in ("4", "2"):
    out = sh([f"{moved}/bin/pmuemu", "run", "--host", f"{moved}/share/pmuemu/configs/big-little.yaml", "--guest",
              elf, "--pmcr-n", n, "--arg", "5000"]).stdout
    m = re.fullmatch(rf"my_guest: PMCR_EL0.N = {n}\nmy_guest: result [0-9a-f]+, (\d+) instructions, (\d+) cycles, "
                     r"IPC (\d+)\.(\d{3})\n", out)
    if not m or not 5000 <= int(m.group(1)) <= 5000 * 8:
        fail(f"template guest with --pmcr-n {n}: {out!r}")
    # The guest's own double division (FP/SIMD on from crt0, ordinary compile flags; under
    # -mgeneral-regs-only it would need soft-float routines the bare-metal link lacks).
    insns, cycles, milli = int(m.group(1)), int(m.group(2)), int(m.group(3)) * 1000 + int(m.group(4))
    if cycles == 0 or abs(milli - 1000 * insns / cycles) > 0.5 + 1e-9:
        fail(f"template guest with --pmcr-n {n}: IPC {milli / 1000} for {insns} / {cycles}")

# cpack -G DEB, then the package's own files run the demo.
pkgdir = os.path.join(WORK, "deb")
sh(["cpack", "-G", "DEB", "-B", pkgdir], cwd=BUILD)
debs = [f for f in os.listdir(pkgdir) if f.endswith(".deb")]
if len(debs) != 1:
    fail(f"cpack made {debs}")
deb = os.path.join(pkgdir, debs[0])
info = sh(["dpkg-deb", "-f", deb, "Package", "Depends"]).stdout
if not info.startswith("Package: pmuemu\n") or "libyaml-cpp" not in info or "libcapstone" not in info:
    fail(f"package control fields: {info!r}")
listing = sh(["dpkg-deb", "-c", deb]).stdout
for path in ("./usr/bin/pmuemu", "./usr/share/man/man1/pmuemu.1", "./usr/share/pmuemu/sdk/link.ld",
             "./usr/share/pmuemu/cmake/pmuemu-config.cmake", "./usr/share/bash-completion/completions/pmuemu",
             "./usr/share/pmuemu/configs/cores/cortex-a76.yaml", "./usr/share/doc/pmuemu/cli.md"):
    if path not in listing:
        fail(f"{path} is not in the package")
root = os.path.join(WORK, "deb-root")
sh(["dpkg-deb", "-x", deb, root])
if demo(f"{root}/usr").stdout != want:
    fail("the demo from the .deb's files differs")
print(f"ok: {debs[0]}")
