import { Worker } from 'node:worker_threads';

/** Plain JavaScript: the thread runs it as is, without the test transform. */
const CLIENT = `
const { parentPort } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
parentPort.on('message', async ({ url, init }) => {
  try {
    const started = performance.now();
    const response = await fetch(url, init);
    await response.arrayBuffer();
    parentPort.postMessage({ status: response.status, ms: performance.now() - started });
  } catch (error) {
    parentPort.postMessage({ error: String(error) });
  }
});
`;

export interface TimingClient {
  /** Sends one request and resolves with its status and how long the answer took, in milliseconds. */
  time(url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; ms: number }>;
  close(): Promise<void>;
}

/**
 * An HTTP client on its own thread, timing requests as a remote caller sees them. A client in
 * the test's thread would share the app's event loop, and the embedded database runs its
 * queries on that loop: work the app does after answering would then delay the client reading
 * the answer, which no caller elsewhere sees. One request at a time.
 */
export function startTimingClient(): TimingClient {
  const worker = new Worker(CLIENT, { eval: true });
  return {
    time: (url, init) =>
      new Promise((resolve, reject) => {
        worker.once('message', (reply: { status: number; ms: number } | { error: string }) =>
          'error' in reply ? reject(new Error(reply.error)) : resolve(reply),
        );
        worker.postMessage({ url, init });
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}
