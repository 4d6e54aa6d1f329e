/**
 * What a process that hosts a machine asks of the C library's allocator, as environment for starting it (the
 * settings are read once, when the process starts).
 *
 * Guest RAM is one large ArrayBuffer, which Node allocates with calloc: fresh zero pages the kernel maps on
 * first touch. On a virtual machine a page fault costs several microseconds, so a guest that writes 64 MiB
 * pays for 16 384 of them (bench-paging: 30 000 faults and about a third of its run time). QEMU asks for
 * transparent huge pages on its guest RAM (madvise MADV_HUGEPAGE); glibc's `glibc.malloc.hugetlb=1` does the
 * same for what malloc maps, so a 2 MiB region faults once. `top_pad` and `trim_threshold` keep the heap V8's
 * compiler and our typed arrays grow into instead of returning it and faulting it in again.
 *
 * Harmless where it does not apply: other C libraries ignore GLIBC_TUNABLES, and where the kernel has
 * transparent huge pages off the advice is a no-op. The debug adapter (extension/adapter.ts), `npm test` and
 * `npm run bench` start their processes with it; a user's own GLIBC_TUNABLES is kept after it, so where they
 * set the same tunable theirs wins (glibc applies the list in order).
 *
 * Public API: HOST_TUNABLES, withHostTunables(env).
 */
export const HOST_TUNABLES = 'glibc.malloc.hugetlb=1:glibc.malloc.top_pad=67108864:glibc.malloc.trim_threshold=134217728';

/** `env` with HOST_TUNABLES put before the user's own GLIBC_TUNABLES. */
export function withHostTunables(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const own = env.GLIBC_TUNABLES;
  if (own?.includes(HOST_TUNABLES)) return env;
  return { ...env, GLIBC_TUNABLES: own ? `${HOST_TUNABLES}:${own}` : HOST_TUNABLES };
}
