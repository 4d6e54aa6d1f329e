/*
 * Executes code built by test/support/native/avx-diff.ts natively, for differential tests of AVX instructions.
 * stdin lines:  <code hex> <state hex, 552 bytes> <memory hex, 64 bytes>
 * stdout lines: <state hex> <memory hex>
 * The code is called with r12 = the state (YMM0-15 at 0, MXCSR at 512, RFLAGS, RAX, RDX, RCX at 520-551) and
 * rdi = the 64-byte buffer; it loads the state, runs the instruction, stores the state back and returns.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "hex-io.h"

extern void run_avx(void *mem, void *state, void *code);
__asm__(
  ".text\n.globl run_avx\nrun_avx:\n"
  " push %rbx\n push %r12\n push %r13\n"
  " mov %rsi, %r12\n"
  " call *%rdx\n"
  " vzeroupper\n"
  " pop %r13\n pop %r12\n pop %rbx\n ret\n");

int main(void) {
  unsigned char *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { perror("mmap"); return 1; }
  static char codeh[2048], sth[1200], memh[200];
  static unsigned char st[552] __attribute__((aligned(64)));
  static unsigned char mem[64] __attribute__((aligned(64)));
  while (scanf("%2047s %1199s %199s", codeh, sth, memh) == 3) {
    size_t n = strlen(codeh) / 2;
    unhex(codeh, code, n);
    code[n] = 0xc3;
    unhex(sth, st, 552);
    unhex(memh, mem, 64);
    run_avx(mem, st, code);
    puthex(st, 552); putchar(' ');
    puthex(mem, 64); putchar('\n');
  }
  return 0;
}
