#!/usr/bin/env python3
"""The command line conventions a Debian user expects of pmuemu (docs/cli.md), checked on the
built executable: --version, `help COMMAND`, --help on every command, "did you mean",
extra arguments, exit statuses in --help and in the man page, the generated man page and
bash completion.

usage: cli_conventions.py PMUEMU SOURCE_DIR BUILD_DIR --list
       cli_conventions.py PMUEMU SOURCE_DIR BUILD_DIR --case NAME
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

PMUEMU, SRC, BUILD = sys.argv[1:4]
CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def run(*args, cwd=None):
    p = subprocess.run([PMUEMU, *args], capture_output=True, text=True, timeout=60, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def command_paths():
    """Every command path, found by walking the `commands:` sections of the help texts."""
    def listed(text, indent):
        out, on = [], False
        for line in text.splitlines():
            if line == "commands:":
                on = True
                continue
            if on:
                if not line.strip():
                    break
                if line.startswith(" " * indent) and not line.startswith(" " * (indent + 1)):
                    out.append(line.split()[0])
        return out
    rc, top, _ = run("--help")
    check(rc == 0, "pmuemu --help exits 0")
    paths = []
    for c in listed(top, 2):
        paths.append([c])
        rc, sub, _ = run(c, "--help")
        for s in listed(sub, 2):
            paths.append([c, s])
    check(len(paths) >= 9, f"the help lists the commands and sub-commands: {paths}")
    return paths


def exit_codes_of(help_text):
    codes, on = [], False
    for line in help_text.splitlines():
        if line == "exit status:":
            on = True
            continue
        if on and re.match(r"^  \S", line):
            codes.append(line[2:15].strip())
    return codes


@case
def version():
    rc, out, err = run("--version")
    check(rc == 0 and err == "", f"--version exits 0 silently on stderr: {rc} {err!r}")
    first = out.splitlines()[0]
    m = re.fullmatch(r"pmuemu (\d+\.\d+\.\d+) \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)", first)
    check(m, f"first line names the version and the commit: {first!r}")
    cmake = open(os.path.join(SRC, "CMakeLists.txt")).read()
    want = re.search(r"project\(pmuemu VERSION (\S+)", cmake).group(1)
    check(m.group(1) == want, f"version {m.group(1)} is the CMake project version {want}")
    git = shutil.which("git")
    check(git, "git is needed to check the commit (apt-get install git)")
    head = subprocess.run([git, "-C", SRC, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:
        # The commit the binary was built from: HEAD in a fresh build, an ancestor of HEAD
        # when commits were made since the last build (not a reason to fail this test).
        commit = m.group(2).split("-")[0]
        known = subprocess.run([git, "-C", SRC, "cat-file", "-e", commit + "^{commit}"], capture_output=True)
        check(known.returncode == 0, f"commit {commit} is a commit of this repository")
        anc = subprocess.run([git, "-C", SRC, "merge-base", "--is-ancestor", commit, "HEAD"], capture_output=True)
        check(anc.returncode == 0, f"commit {commit} is HEAD {head.stdout.strip()} or one of its ancestors")
    # The eras listed are exactly the ones --kvm accepts (its error names them).
    listed = [l.split()[0] for l in out.splitlines()[2:] if l.startswith("  ")]
    rc, _, err = run("conformance", "--host", os.path.join(SRC, "configs/big-little.yaml"), "--kvm", "bogus")
    known = re.search(r"known: ([^)]*)\)", err).group(1).split(", ")
    check([e for e in known if e not in ("newest", "or all")] == listed, f"--version eras {listed} = --kvm's {known}")


@case
def every_command_answers_help():
    for path in command_paths():
        rc, out, err = run(*path, "--help")
        check(rc == 0 and err == "", f"pmuemu {' '.join(path)} --help: exit {rc}, stderr {err!r}")
        check(out.startswith("usage: pmuemu " + " ".join(path)), f"{path}: usage line: {out[:60]!r}")
        check("exit status:" in out, f"{path}: --help lists the exit statuses")
        rc2, out2, _ = run("help", *path)
        check(rc2 == 0 and out2 == out, f"'pmuemu help {' '.join(path)}' prints the same as --help")
        rc3, out3, _ = run(*path, "-h")
        check(rc3 == 0 and out3 == out, f"{path}: -h = --help")
    rc, out, _ = run("help")
    rc2, out2, _ = run("--help")
    check(rc == 0 and out == out2, "'pmuemu help' = 'pmuemu --help'")
    rc, out, err = run("help", "frob")
    check(rc == 64 and "unknown command 'frob'" in err, f"help of an unknown command: {rc} {err!r}")


@case
def help_lists_every_documented_exit_status():
    # The top-level help lists every status (the table in the source); docs/cli.md the same.
    _, top, _ = run("--help")
    codes = exit_codes_of(top.replace("Exit status: every command's statuses are listed in its help; they are:",
                                      "exit status:"))
    doc = open(os.path.join(SRC, "docs/cli.md")).read()
    table = doc[doc.index("## Exit status"):]
    table = table[:table.index("\n## ")]
    documented = [m.group(1).strip() for m in re.finditer(r"^\| ([^|]+?) \|", table, re.M)]
    documented = [d for d in documented if d not in ("status", "---")]
    check(sorted(codes) == sorted(documented), f"run --help {codes} = docs/cli.md {documented}")
    _, out, _ = run("run", "--help")
    for c in ("130", "143", "3", "64", "65", "guest's code"):
        check(c in exit_codes_of(out), f"exit status {c} in run --help")
    _, out, _ = run("conformance", "--help")
    check("77" in exit_codes_of(out), "exit status 77 in conformance --help")
    # Every command's statuses are among them.
    for path in command_paths():
        _, out, _ = run(*path, "--help")
        check(set(exit_codes_of(out)) <= set(codes), f"{path}: {exit_codes_of(out)}")


@case
def did_you_mean():
    for path in command_paths():
        rc, out, _ = run(*path, "--help")
        opts = re.findall(r"^  (--[a-z][a-z-]*)", out, re.M)
        for opt in opts:
            if opt == "--help" or len(opt) < 6:
                continue
            i = next(k for k in range(3, len(opt) - 1) if opt[k] != opt[k + 1])
            typo = opt[:i] + opt[i + 1] + opt[i] + opt[i + 2:]  # two letters swapped
            args = list(path) + [typo]
            rc, _, err = run(*args)
            want = f"pmuemu: error: {' '.join(path)}: unknown option '{typo}'; did you mean '{opt}'?"
            check(rc == 64 and err.startswith(want), f"{args}: {rc} {err!r}, wanted {want!r}")
    rc, _, err = run("confromance")
    check(rc == 64 and "did you mean 'conformance'?" in err, f"mistyped command: {err!r}")
    rc, _, err = run("host", "shwo", "x")
    check(rc == 64 and err == "pmuemu: error: host: unknown sub-command 'shwo'; did you mean 'show'? "
          "(try 'pmuemu host --help')\n", f"mistyped sub-command: {err!r}")
    rc, _, err = run("--verison")
    check(rc == 64 and "did you mean '--version'?" in err, f"mistyped top-level option: {err!r}")


@case
def extra_arguments_are_errors():
    h = os.path.join(SRC, "configs/big-little.yaml")
    for args, word in ((["host", "schema", "extra"], "extra"), (["host", "show", h, h], h),
                       (["snapshot", "show", "a", "b"], "b"), (["snapshot", "diff", "a", "b", "c"], "c"),
                       (["run", "--host", h, "--guest", "g.elf", "stray"], "stray"),
                       (["completion", "bash", "zsh"], "zsh"), (["--version", "x"], "x"),
                       (["conformance", "--host", h, "stray"], "stray")):
        rc, out, err = run(*args)
        check(rc == 64 and out == "" and f"unexpected argument '{word}'" in err and err.count("\n") == 1,
              f"{args}: {rc} {err!r}")


@case
def option_syntax():
    rc, _, err = run("run", "--host=h.yaml", "--guest=g.elf", "--max-insns=zz")
    check(rc == 64 and err == "pmuemu: error: --max-insns: expected a number, got 'zz'\n", f"--opt=value: {err!r}")
    rc, _, err = run("run", "--host", "a", "--host", "b", "--guest", "g")
    check(rc == 64 and err == "pmuemu: error: run: option '--host' given more than once\n", f"repeated: {err!r}")
    rc, _, err = run("run", "--no-pmu=1")
    check(rc == 64 and err == "pmuemu: error: run: option '--no-pmu' takes no value\n", f"flag=value: {err!r}")
    rc, _, err = run("host")
    check(rc == 64 and "host: missing sub-command, one of show, schema" in err, f"group alone: {err!r}")
    # A one-letter alias: -v is --verbose of conformance (it parses: the error is the host file's).
    rc, out, _ = run("conformance", "--help")
    check("  --verbose, -v" in out, "conformance --help shows -v")
    rc, _, err = run("conformance", "--host", "/nonexistent/h.yaml", "-v")
    check(rc == 65 and "/nonexistent/h.yaml" in err, f"-v: {rc} {err!r}")
    rc, _, err = run("conformance", "-x")
    check(rc == 64 and "unknown option '-x'" in err, f"-x: {rc} {err!r}")


@case
def man_page():
    rc, man, err = run("help", "--man")
    check(rc == 0 and man.startswith(".\\\"") and "\n.TH PMUEMU 1 " in man, f"help --man: {rc} {err!r}")
    built = os.path.join(BUILD, "share/man/man1/pmuemu.1")
    check(os.path.exists(built), f"{built} is generated by the build")
    check(open(built).read() == man, f"{built} = pmuemu help --man")
    # Every option of every command and every exit status is in the page.
    for path in command_paths():
        _, out, _ = run(*path, "--help")
        for opt in re.findall(r"^  --([a-z][a-z-]*)", out, re.M):
            if opt != "help":
                check("\\-\\-" + opt.replace("-", "\\-") in man, f"man page has --{opt} of {path}")
    status = man[man.index('.SH "EXIT STATUS"'):]
    _, out, _ = run("--help")
    for code in exit_codes_of(out.replace("Exit status: every command's statuses are listed in its help; they are:",
                                          "exit status:")):
        check(f".B {code}\n" in status, f"man page EXIT STATUS has {code}")
    groff = shutil.which("groff")
    check(groff, "groff is needed to check the man page (apt-get install groff-base)")
    p = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", built], capture_output=True, text=True)
    check(p.returncode == 0 and p.stderr == "", f"groff -man -ww: {p.stderr}")


def complete(words, cwd):
    """COMPREPLY of the generated completion for the command line `words` (last = current)."""
    script = os.path.join(BUILD, "share/bash-completion/completions/pmuemu")
    arr = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    prog = f'source "{script}"; COMP_WORDS=({arr}); COMP_CWORD={len(words) - 1}; _pmuemu; ' \
           'printf "%s\\n" "${COMPREPLY[@]}"'
    p = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, cwd=cwd)
    check(p.returncode == 0 and p.stderr == "", f"completion of {words}: {p.stderr}")
    return sorted(x for x in p.stdout.splitlines() if x)


@case
def bash_completion():
    rc, text, _ = run("completion", "bash")
    built = os.path.join(BUILD, "share/bash-completion/completions/pmuemu")
    check(rc == 0 and os.path.exists(built) and open(built).read() == text, "the built completion = completion bash")
    p = subprocess.run(["bash", "-n", built], capture_output=True, text=True)
    check(p.returncode == 0, f"bash -n: {p.stderr}")
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "guest.elf"), "w").close()
        open(os.path.join(d, "host.yaml"), "w").close()
        got = complete(["pmuemu", "r"], d)
        check(got == ["run"], f"pmuemu r<TAB>: {got}")
        got = complete(["pmuemu", ""], d)
        _, top, _ = run("--help")
        check(set(got) >= {"run", "host", "plan", "conformance", "snapshot", "help", "completion"}, f"commands: {got}")
        got = complete(["pmuemu", "run", "--ti"], d)
        check(got == ["--timeline", "--timeout", "--timing"], f"run --ti<TAB>: {got}")
        got = complete(["pmuemu", "run", "--kvm", "6."], d)
        check(got == ["6.12", "6.15", "6.16", "6.6", "6.7"], f"--kvm 6.<TAB>: {got}")
        got = complete(["pmuemu", "run", "--timing", ""], d)
        check(got == ["cycle", "functional"], f"--timing <TAB>: {got}")
        got = complete(["pmuemu", "run", "--guest", "gu"], d)
        check(got == ["guest.elf"], f"--guest gu<TAB>: {got}")
        got = complete(["pmuemu", "host", ""], d)
        check(got == ["schema", "show"], f"host <TAB>: {got}")
        got = complete(["pmuemu", "host", "show", "ho"], d)
        check(got == ["host.yaml"], f"host show ho<TAB>: {got}")
        got = complete(["pmuemu", "snapshot", "show", "--"], d)
        check(got == ["--help", "--json"], f"snapshot show --<TAB>: {got}")
        got = complete(["pmuemu", "completion", ""], d)
        check(got == ["bash"], f"completion <TAB>: {got}")
        # Every option --help lists is offered.
        for path in command_paths():
            _, out, _ = run(*path, "--help")
            opts = sorted(set(re.findall(r"^  (--[a-z][a-z-]*)", out, re.M)))
            got = complete(["pmuemu", *path, "--"], d)
            check(got == opts, f"{path} --<TAB>: {got} != {opts}")


def main():
    if sys.argv[4] == "--list":
        print(";".join(CASES))
        return 0
    name = sys.argv[5]
    try:
        CASES[name]()
    except AssertionError as e:
        print(f"FAIL {name}: {e}")
        return 1
    print(f"ok {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
