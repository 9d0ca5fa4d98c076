import { availableParallelism, loadavg } from 'node:os';

/**
 * How far to stretch a latency bound for the load the machine is under when a test runs: 1 on a
 * quiet machine, up to 4 when the CPUs are oversubscribed (the whole suite runs two test workers
 * beside the apps they start, on two cores, and other runs may share them). A bound stretched this
 * way still catches what it is for (a stall of seconds, a leak of a few queries), not the neighbours.
 */
export function loadStretch(): number {
  const oversubscribed = loadavg()[0] / availableParallelism();
  return Math.min(4, Math.max(1, oversubscribed));
}
