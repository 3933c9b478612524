// fork, wait4 (exit status and signal death), execve of itself, memory mappings and a
// fault at an unmapped address.
#include "raw.h"
PROGRAM_MAIN

int main(long argc, char** argv, char** envp) {
  if (argc > 1 && argv[1][0] == 'x') {  // re-executed: report the argument and exit 9
    puts_("exec'd with "); puts_(argv[2]); puts_("\n");
    return 9;
  }
  if (argc > 1 && argv[1][0] == 's') {  // a child that dies of SIGSEGV
    *(volatile int*)0x1234 = 1;
    return 0;
  }
  // mmap / mprotect / munmap.
  char* p = (char*)sys6(SYS_mmap, 0, 8192, 3, 0x22, -1, 0);
  check((long)p > 0 && ((u64)p & 0xfff) == 0, "mmap anonymous");
  check(p[100] == 0, "fresh mapping reads zero");
  p[100] = 42;
  check(sys(SYS_mprotect, p, 4096, 1) == 0, "mprotect read-only");
  check(p[100] == 42, "read after mprotect");
  check(sys(SYS_munmap, p, 8192, 0) == 0, "munmap");
  check(sys(SYS_mprotect, p, 4096, 3) == -12, "mprotect of an unmapped page is ENOMEM");
  // readlink /proc/self/exe names this program.
  char exe[256];
  long n = sys6(SYS_readlinkat, -100, (long)"/proc/self/exe", (long)exe, sizeof exe, 0, 0);
  check(n > 0, "readlink /proc/self/exe");
  exe[n] = 0;
  // fork + exit status.
  long pid = sys6(SYS_clone, 17 /* SIGCHLD */, 0, 0, 0, 0, 0);
  if (pid == 0) return 5;
  int st = 0;
  check(sys6(SYS_wait4, pid, (long)&st, 0, 0, 0, 0) == pid, "wait4 returns the child");
  check((st & 0x7f) == 0 && ((st >> 8) & 0xff) == 5, "child exit status 5");
  // fork + execve of this program.
  pid = sys6(SYS_clone, 17, 0, 0, 0, 0, 0);
  if (pid == 0) {
    char* args[] = {exe, "x", "hello", 0};
    char* env[] = {"A=1", 0};
    sys(SYS_execve, exe, args, env);
    return 100;  // execve failed
  }
  check(sys6(SYS_wait4, pid, (long)&st, 0, 0, 0, 0) == pid, "wait4 after execve");
  check(((st >> 8) & 0xff) == 9, "exec'd child exit status 9");
  // execve of a non-ELF fails in the caller with ENOEXEC.
  char* noargs[] = {"/etc/hostname", 0};
  check(sys(SYS_execve, "/etc/hostname", noargs, noargs + 1) == -8, "execve of a text file is ENOEXEC");
  // A child killed by SIGSEGV.
  pid = sys6(SYS_clone, 17, 0, 0, 0, 0, 0);
  if (pid == 0) {
    char* args[] = {exe, "s", 0};
    sys(SYS_execve, exe, args, args + 2);
    return 100;
  }
  check(sys6(SYS_wait4, pid, (long)&st, 0, 0, 0, 0) == pid, "wait4 of the faulting child");
  check((st & 0x7f) == 11, "child killed by SIGSEGV");
  check(sys6(SYS_wait4, -1, (long)&st, 0, 0, 0, 0) == -10, "no more children: ECHILD");
  puts_("process: all checks passed\n");
  return 0;
}
