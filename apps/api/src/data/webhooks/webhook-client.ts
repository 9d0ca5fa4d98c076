import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckedTarget } from './address-guard';

/** Most of a response body read (the rest is dropped unread); the delivery log keeps less. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface PostOptions {
  url: URL;
  target: CheckedTarget;
  headers: Record<string, string>;
  body: string;
  /** Ends the exchange when it aborts: the attempt's deadline (or the instance shutting down). */
  signal: AbortSignal;
}

export interface PostResult {
  status: number;
  /** Up to MAX_RESPONSE_BYTES of the body, as text. */
  body: string;
  truncated: boolean;
  location?: string;
}

/**
 * One POST to an already checked address. The connection goes to `target.address` whatever
 * the name resolves to now (the Host header and TLS server name stay the URL's), redirects are
 * returned rather than followed, `signal` ends the whole exchange (rejecting with its reason),
 * and the body is read up to a cap.
 */
export function postWebhook(options: PostOptions): Promise<PostResult> {
  const { url, target, headers, body, signal } = options;
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    const { address, family } = target.address;
    if ((lookupOptions as { all?: boolean }).all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;

  return new Promise<PostResult>((resolve, reject) => {
    const req = send({
      protocol: url.protocol,
      hostname: target.host,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      lookup: pinned,
      agent: false,
    });
    const finish = (settle: () => void) => {
      signal.removeEventListener('abort', abort);
      settle();
    };
    const abort = () => {
      const reason = signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
      finish(() => reject(reason));
      req.destroy(reason);
    };
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    req.on('error', (error) => finish(() => reject(error)));
    req.on('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const done = () =>
        finish(() =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            truncated,
            location: typeof response.headers.location === 'string' ? response.headers.location : undefined,
          }),
        );
      response.on('data', (chunk: Buffer) => {
        if (truncated) return;
        const room = MAX_RESPONSE_BYTES - size;
        chunks.push(chunk.subarray(0, room));
        size += Math.min(chunk.length, room);
        if (chunk.length > room) {
          truncated = true;
          // Stop reading: the status is known, and an endless body must not hold the worker.
          response.destroy();
          done();
        }
      });
      response.on('end', done);
      response.on('error', (error) => finish(() => (truncated ? undefined : reject(error))));
    });
    req.end(body);
  });
}
