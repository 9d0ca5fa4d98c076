import { setImmediate as nextTurn } from 'node:timers/promises';

/** Longest a loop of queries may keep the event loop before letting other requests in. */
const SLICE_MS = 20;

/**
 * The embedded database runs each query on this thread and answers it without a trip
 * through the event loop, so a loop of queries (an import checking every line) starves every
 * other request — their sockets are not even read — until it ends. Such loops call
 * `breathe()` once per step: every SLICE_MS it yields a turn of the event loop.
 */
export class EventLoopSlices {
  private sliceStart = performance.now();

  async breathe(): Promise<void> {
    if (performance.now() - this.sliceStart < SLICE_MS) return;
    await nextTurn();
    this.sliceStart = performance.now();
  }
}
