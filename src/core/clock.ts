/**
 * Milliseconds from an arbitrary origin, monotonic: what the drain loops and co-scheduling time
 * themselves with. process.hrtime costs what performance.now costs per call, and spares every
 * run the loading of perf_hooks (a dozen of Node's internal modules) at start-up.
 */
export function nowMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}
