/*
 * Executes one SSE/MMX instruction natively from a given FXSAVE image, for differential tests.
 * stdin lines:  <insn hex> <FXSAVE image hex, 512 bytes> <memory hex, 64 bytes> <rflags hex> <rax hex> <rdx hex> <rcx hex>
 * stdout lines: <FXSAVE image hex> <memory hex> <rflags hex> <rax hex> <rdx hex> <rcx hex>
 * The code run is: fxrstor [r12]; <insn>; fxsave [r12]. The instruction may use [rdi] (the 64-byte buffer),
 * rax, rdx, rcx and the flags.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "hex-io.h"

extern void run_sse(uint64_t *st, void *img, void *mem, void *code);
__asm__(
  ".text\n.globl run_sse\nrun_sse:\n"
  " push %rbx\n push %r12\n push %r13\n"
  " mov %rdi, %r13\n mov %rsi, %r12\n mov %rdx, %rdi\n mov %rcx, %r9\n"
  " mov 8(%r13), %rax\n mov 16(%r13), %rdx\n mov 24(%r13), %rcx\n push 0(%r13)\n popfq\n"
  " call *%r9\n"
  " pushfq\n pop 0(%r13)\n mov %rax, 8(%r13)\n mov %rdx, 16(%r13)\n mov %rcx, 24(%r13)\n"
  " fninit\n emms\n"
  " pop %r13\n pop %r12\n pop %rbx\n ret\n");


int main(void) {
  unsigned char *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { perror("mmap"); return 1; }
  static char ih[128], imgh[1100], memh[200];
  static unsigned char img[512] __attribute__((aligned(64)));
  static unsigned char mem[64] __attribute__((aligned(64)));
  uint64_t st[4];
  while (scanf("%127s %1099s %199s %lx %lx %lx %lx", ih, imgh, memh, &st[0], &st[1], &st[2], &st[3]) == 7) {
    size_t n = strlen(ih) / 2;
    /* fxrstor [r12]; insn; fxsave [r12]; ret */
    const unsigned char pre[] = {0x41, 0x0f, 0xae, 0x0c, 0x24}, post[] = {0x41, 0x0f, 0xae, 0x04, 0x24, 0xc3};
    memcpy(code, pre, 5);
    unhex(ih, code + 5, n);
    memcpy(code + 5 + n, post, 6);
    unhex(imgh, img, 512);
    unhex(memh, mem, 64);
    st[0] = (st[0] & 0x8d5) | 2;
    run_sse(st, img, mem, code);
    puthex(img, 512); putchar(' ');
    puthex(mem, 64);
    printf(" %lx %lx %lx %lx\n", st[0] & 0x8d5, st[1], st[2], st[3]);
  }
  return 0;
}
