/*
 * Executes one x86-64 instruction natively with given register and flag inputs, for differential tests.
 * stdin lines: <hex bytes> rax rbx rcx rdx rsi r8 r9 rflags   (values in hex)
 * stdout lines: rax rbx rcx rdx rsi r8 r9 rflags               (after the instruction)
 * The instruction must use only those registers (no memory, no RDI/RSP/RBP, no control flow).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

extern void run_insn(uint64_t *st, void *code);
__asm__(
  ".text\n.globl run_insn\nrun_insn:\n"
  " push %rbx\n push %rdi\n mov %rsi, %r10\n"
  " mov 0(%rdi), %rax\n mov 8(%rdi), %rbx\n mov 16(%rdi), %rcx\n mov 24(%rdi), %rdx\n"
  " mov 32(%rdi), %rsi\n mov 40(%rdi), %r8\n mov 48(%rdi), %r9\n"
  " push 56(%rdi)\n popfq\n"
  " call *%r10\n"
  " pushfq\n mov 8(%rsp), %rdi\n pop 56(%rdi)\n"
  " mov %rax, 0(%rdi)\n mov %rbx, 8(%rdi)\n mov %rcx, 16(%rdi)\n mov %rdx, 24(%rdi)\n"
  " mov %rsi, 32(%rdi)\n mov %r8, 40(%rdi)\n mov %r9, 48(%rdi)\n"
  " pop %rdi\n pop %rbx\n ret\n");

int main(void) {
  unsigned char *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { perror("mmap"); return 1; }
  char hex[64];
  uint64_t st[8];
  while (scanf("%63s %lx %lx %lx %lx %lx %lx %lx %lx", hex, &st[0], &st[1], &st[2], &st[3], &st[4], &st[5], &st[6], &st[7]) == 9) {
    size_t n = strlen(hex) / 2;
    for (size_t k = 0; k < n; k++) { unsigned v; sscanf(hex + 2 * k, "%2x", &v); code[k] = (unsigned char)v; }
    code[n] = 0xc3;
    st[7] = (st[7] & 0x8d5) | 2;
    run_insn(st, code);
    printf("%lx %lx %lx %lx %lx %lx %lx %lx\n", st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7] & 0x8d5);
  }
  return 0;
}
