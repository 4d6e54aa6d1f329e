/** mulberry32, seeded: the same numbers on every run. `rng(seed)(n)` is 0 .. n-1. */
export function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n: number): number => {
    let t = (s = (s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}
