/*
 * Executes one x87 instruction natively from a given x87 state, for differential tests.
 * stdin lines:  <insn hex> <FRSTOR image hex, 108 bytes> <memory hex, 128 bytes> <rflags hex> <rax hex>
 * stdout lines: <FNSAVE image hex, 108 bytes> <memory hex, 128 bytes> <rflags hex> <rax hex>
 * The instruction may address memory only through [rdi] (the 128-byte buffer) and write only rax/flags.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "hex-io.h"

extern void run_x87(uint64_t *st, void *img, void *mem, void *code);
__asm__(
  ".text\n.globl run_x87\nrun_x87:\n"
  " push %rbx\n push %r12\n push %r13\n"
  " mov %rdi, %r12\n mov %rsi, %r13\n mov %rdx, %rdi\n mov %rcx, %r9\n"
  " frstor (%r13)\n"
  " mov 8(%r12), %rax\n push 0(%r12)\n popfq\n"
  " call *%r9\n"
  " pushfq\n pop 0(%r12)\n mov %rax, 8(%r12)\n"
  " fnsave (%r13)\n fninit\n"
  " pop %r13\n pop %r12\n pop %rbx\n ret\n");


int main(void) {
  unsigned char *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { perror("mmap"); return 1; }
  static char ih[64], imgh[300], memh[300];
  unsigned char img[108] __attribute__((aligned(16)));
  unsigned char mem[128] __attribute__((aligned(16)));
  uint64_t st[2];
  while (scanf("%63s %299s %299s %lx %lx", ih, imgh, memh, &st[0], &st[1]) == 5) {
    size_t n = strlen(ih) / 2;
    unhex(ih, code, n);
    code[n] = 0xc3;
    unhex(imgh, img, 108);
    unhex(memh, mem, 128);
    st[0] = (st[0] & 0x8d5) | 2;
    run_x87(st, img, mem, code);
    puthex(img, 108); putchar(' ');
    puthex(mem, 128);
    printf(" %lx %lx\n", st[0] & 0x8d5, st[1]);
  }
  return 0;
}
