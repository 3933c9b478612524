/* A dynamically linked, position-independent program (Debian's cross glibc): run by
 * `pmuemu user --sysroot /usr/aarch64-linux-gnu`. It checks what its dynamic linker and C
 * library see of the process, computing every expectation itself:
 *   - the auxiliary vector: AT_BASE is the interpreter's load address (non-zero, below the
 *     program's), AT_ENTRY this program's own entry point, AT_PHDR its program headers;
 *   - the objects dl_iterate_phdr() lists: the program, ld-linux, libc and libm;
 *   - libm: an FP result compared with the program's own Newton iteration;
 *   - dlopen() of a library named on the command line, a call into it and its TLS;
 *   - threads of libpthread with __thread variables of their own;
 *   - execve of /proc/self/exe: the new image is dynamic too and reports back.
 * Exits 0 with "dynamic: all checks passed", or 1 naming the first failed check.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern void _start(void);
extern const ElfW(Ehdr) __ehdr_start;

#define CHECK_NAME "dynamic"
#include "check.h"

static __thread long tls_value = 5;

static void* worker(void* arg) {
  long k = (long)arg;
  tls_value += k;  /* each thread its own copy, initialised from the TLS image */
  long s = 0;
  for (long i = 0; i <= 1000 * k; ++i) s += i;
  return (void*)(s + tls_value);
}

struct seen {
  int objects, ld, libc, libm, program;
};

static int each(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  struct seen* s = data;
  ++s->objects;
  const char* n = info->dlpi_name;
  if (strstr(n, "ld-linux-aarch64")) ++s->ld;
  if (strstr(n, "libc.so.6")) ++s->libc;
  if (strstr(n, "libm.so.6")) ++s->libm;
  if (info->dlpi_addr == (ElfW(Addr))&__ehdr_start) ++s->program;
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--child") == 0) {
    printf("dynamic child: AT_BASE %s, argv[2] %s\n", getauxval(AT_BASE) ? "set" : "0", argc > 2 ? argv[2] : "-");
    return 0;
  }
  if (argc < 2) {
    printf("usage: dynamic PLUGIN.so\n");
    return 2;
  }

  /* The auxiliary vector the kernel (here pmuemu) gave the interpreter. */
  const unsigned long base = getauxval(AT_BASE), entry = getauxval(AT_ENTRY), phdr = getauxval(AT_PHDR);
  CHECK(base != 0 && (base & 0xfff) == 0, "AT_BASE 0x%lx: not the interpreter's page-aligned address", base);
  CHECK(entry == (unsigned long)&_start, "AT_ENTRY 0x%lx, _start at %p", entry, (void*)&_start);
  CHECK(phdr == (unsigned long)&__ehdr_start + __ehdr_start.e_phoff, "AT_PHDR 0x%lx, headers at 0x%lx", phdr,
        (unsigned long)&__ehdr_start + (unsigned long)__ehdr_start.e_phoff);
  CHECK(getauxval(AT_PHNUM) == __ehdr_start.e_phnum, "AT_PHNUM %lu, e_phnum %u", getauxval(AT_PHNUM),
        __ehdr_start.e_phnum);

  struct seen s = {0};
  dl_iterate_phdr(each, &s);
  CHECK(s.program == 1 && s.ld == 1 && s.libc == 1 && s.libm == 1,
        "dl_iterate_phdr: program %d, ld %d, libc %d, libm %d of %d objects", s.program, s.ld, s.libc, s.libm,
        s.objects);

  /* libm against a Newton iteration of our own; volatile keeps the call at run time. */
  volatile double x = 2.0 + argc;
  double r = x;
  for (int i = 0; i < 60; ++i) r = 0.5 * (r + x / r);
  CHECK(sqrt(x) == r, "sqrt(%g) = %.17g, Newton %.17g", (double)x, sqrt(x), r);
  CHECK(fabs(cbrt(x) * cbrt(x) * cbrt(x) - x) < 1e-12, "cbrt(%g)^3 = %.17g", (double)x, cbrt(x) * cbrt(x) * cbrt(x));

  /* dlopen: a library found by path at run time, its function and its TLS variable. */
  void* h = dlopen(argv[1], RTLD_NOW);
  CHECK(h != NULL, "dlopen(%s): %s", argv[1], dlerror());
  if (h != NULL) {
    long (*mix)(long) = (long (*)(long))dlsym(h, "plugin_mix");
    long* (*tls)(void) = (long* (*)(void))dlsym(h, "plugin_tls");
    CHECK(mix != NULL && tls != NULL, "dlsym: %s", dlerror());
    if (mix != NULL && tls != NULL) {
      long want = 0;
      for (long i = 1; i <= 10; ++i) want = want * 31 + i;
      CHECK(mix(10) == want, "plugin_mix(10) = %ld, expected %ld", mix(10), want);
      *tls() = 42;
      CHECK(*tls() == 42, "plugin TLS");
    }
    CHECK(dlclose(h) == 0, "dlclose: %s", dlerror());
  }

  /* Threads: each returns its own sum plus its own copy of tls_value. */
  pthread_t t[4];
  for (long k = 0; k < 4; ++k) CHECK(pthread_create(&t[k], NULL, worker, (void*)(k + 1)) == 0, "pthread_create");
  for (long k = 0; k < 4; ++k) {
    void* ret = NULL;
    pthread_join(t[k], &ret);
    const long n = 1000 * (k + 1);
    CHECK((long)ret == n * (n + 1) / 2 + 5 + (k + 1), "thread %ld returned %ld", k, (long)ret);
  }
  CHECK(tls_value == 5, "main thread's tls_value %ld", tls_value);

  if (failures == 0) printf("dynamic: all checks passed\n");
  fflush(stdout);
  if (failures != 0) return 1;
  /* The same program again through execve: the dynamic loader starts over. */
  char* const args[] = {argv[0], "--child", "exec'd", NULL};
  execv("/proc/self/exe", args);
  printf("dynamic: FAIL: execv: %m\n");
  return 1;
}
