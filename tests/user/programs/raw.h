// Raw Linux system calls for test programs built without a C library (-nostdlib), so they
// run before the FP/SIMD instructions glibc needs exist.
#pragma once
typedef unsigned long u64;
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
}
#define sys(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
enum { SYS_openat = 56, SYS_close = 57, SYS_read = 63, SYS_write = 64, SYS_exit = 93, SYS_getpid = 172,
       SYS_brk = 214, SYS_munmap = 215, SYS_clone = 220, SYS_execve = 221, SYS_mmap = 222, SYS_mprotect = 226,
       SYS_wait4 = 260, SYS_rt_sigaction = 134, SYS_readlinkat = 78 };
static inline u64 slen(const char* s) { u64 n = 0; while (s[n]) ++n; return n; }
static inline void puts_(const char* s) { sys(SYS_write, 1, s, slen(s)); }
static inline void putn(long v) {
  char b[24]; int i = 23; b[i] = 0; int neg = v < 0; u64 u = neg ? -(u64)v : (u64)v;
  do { b[--i] = '0' + u % 10; u /= 10; } while (u);
  if (neg) b[--i] = '-';
  puts_(b + i);
}
static inline void check(int ok, const char* what) {
  if (!ok) { puts_("FAIL: "); puts_(what); puts_("\n"); sys(SYS_exit, 1, 0, 0); }
}
// Entry: argc/argv from the stack the kernel built (Linux arm64 process start).
#define PROGRAM_MAIN \
  int main(long argc, char** argv, char** envp); \
  __asm__(".globl _start\n_start:\n ldr x0, [sp]\n add x1, sp, #8\n add x2, x1, x0, lsl #3\n" \
          " add x2, x2, #8\n bl main\n mov x8, #93\n svc #0\n");
