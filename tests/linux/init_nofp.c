// A Linux /init that needs no FP/SIMD (general registers only, no libc): it proves a kernel
// booted under pmuemu runs user space. It writes a banner through /dev/console (the PL011
// driver's interrupt-driven transmit path), prints how many CPUs are online, and with the
// argument "echo" (kernel command line "... -- echo") reads one line from the console
// (the PL011 receive path) and prints it back. Then it powers the machine off (PSCI
// SYSTEM_OFF through the kernel).
typedef unsigned long u64;

static long sys(long n, long a, long b, long c, long d) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}

enum { kRead = 63, kWrite = 64, kOpenat = 56, kClose = 57, kReboot = 142, kExit = 93 };
static const long kAtFdcwd = -100;

static u64 len(const char* s) {
  u64 n = 0;
  while (s[n]) ++n;
  return n;
}
static void put(const char* s) { sys(kWrite, 1, (long)s, (long)len(s), 0); }
static int eq(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

// Counts "processor" lines of /proc/cpuinfo (mounting proc needs no FP either).
static int cpus_online(void) {
  static char buf[8192];
  sys(34 /* mkdirat */, kAtFdcwd, (long)"/proc", 0555, 0);
  sys(40 /* mount */, (long)"proc", (long)"/proc", (long)"proc", 0);
  const long fd = sys(kOpenat, kAtFdcwd, (long)"/proc/cpuinfo", 0, 0);
  if (fd < 0) return -1;
  long n = 0, r;
  while (n < (long)sizeof buf - 1 && (r = sys(kRead, fd, (long)(buf + n), (long)sizeof buf - 1 - n, 0)) > 0) n += r;
  sys(kClose, fd, 0, 0, 0);
  buf[n] = 0;
  int count = 0;
  for (long i = 0; i < n; ++i)
    if ((i == 0 || buf[i - 1] == '\n') && buf[i] == 'p' && buf[i + 1] == 'r' && buf[i + 2] == 'o') ++count;
  return count;
}

void start_c(long argc, char** argv) {
  put("init-nofp: hello from user space\n");
  const int n = cpus_online();
  char line[] = "init-nofp: CPUs online: ?\n";
  line[24] = n >= 0 && n < 10 ? (char)('0' + n) : '?';
  put(line);
  if (argc > 1 && eq(argv[1], "echo")) {
    put("init-nofp: type a line\n");
    static char in[128];
    long got = 0, r;
    while (got < (long)sizeof in - 1 && (r = sys(kRead, 0, (long)(in + got), 1, 0)) == 1) {
      if (in[got++] == '\n') break;
    }
    in[got] = 0;
    put("init-nofp: read: ");
    put(in);
    if (got == 0 || in[got - 1] != '\n') put("\n");
  }
  put("init-nofp: powering off\n");
  // reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF)
  sys(kReboot, 0xfee1dead, 672274793, 0x4321fedc, 0);
  sys(kExit, 1, 0, 0, 0);
  for (;;) {
  }
}

// The kernel enters with SP at argc, then argv[].
__asm__(
    ".globl _start\n"
    "_start:\n"
    "  ldr x0, [sp]\n"
    "  add x1, sp, #8\n"
    "  bl start_c\n");
