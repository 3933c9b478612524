/* The library tests/user/programs/dynamic.c loads with dlopen(). */
static __thread long plugin_tls_value;

long plugin_mix(long n) {
  long v = 0;
  for (long i = 1; i <= n; ++i) v = v * 31 + i;
  return v;
}

long* plugin_tls(void) { return &plugin_tls_value; }
