/* Hex in and out for the host-CPU differential harnesses (sse-exec.c, x87-exec.c). */
#include <stdio.h>

static void unhex(const char *h, unsigned char *out, size_t n) {
  for (size_t k = 0; k < n; k++) { unsigned v; sscanf(h + 2 * k, "%2x", &v); out[k] = (unsigned char)v; }
}
static void puthex(const unsigned char *b, size_t n) {
  for (size_t k = 0; k < n; k++) printf("%02x", b[k]);
}
