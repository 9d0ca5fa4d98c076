import type { ServerResponse } from 'node:http';
import type { Principal } from '@backlot/security';
import type { CollectionSchema } from '../collections/collection-schema';
import type { RecordPredicate } from '../query/filter-evaluator';

/** One subscription of a connection, with its filter compiled for the schema version it was made against. */
export interface Subscription {
  collection: string;
  recordId: string | null;
  filter: string | null;
  /** Compiled per schema version (a schema change recompiles it on the next event). */
  compiled?: { schema: CollectionSchema; predicate: RecordPredicate | null } | null;
}

export interface ConnectionOwner {
  principal: Principal | null;
  /** Where the per-user connection limit is counted: `user:<id>` or `ip:<address>`. */
  limitKey: string;
  /** An API key's own text, kept in memory to re-check it on heartbeats (never logged). */
  apiKey?: string;
}

const DROP_GRACE_MS = 1_000;

export type CloseReason = 'client' | 'revoked' | 'dropped' | 'shutdown';

/**
 * One open event stream. Frames are written straight to the socket; when the client stops
 * reading and unsent bytes pass `maxBufferBytes`, the connection is dropped (after a final
 * `dropped` event, best effort) instead of buffering without bound.
 */
export class SseConnection {
  closed = false;

  /** `onClose` is called once, however the stream ends; at once when the client is already gone. */
  constructor(
    readonly id: number,
    private readonly raw: ServerResponse,
    readonly owner: ConnectionOwner,
    /** What the stream receives (the caller's whole request; each subscription caches its compiled filter). */
    readonly subscriptions: Subscription[],
    private readonly maxBufferBytes: number,
    private readonly onClose: (connection: SseConnection, reason: CloseReason) => void,
  ) {
    raw.on('close', () => this.finish('client'));
    // A response destroyed before the listener was attached never emits 'close' again.
    if (raw.destroyed) this.finish('client');
  }

  /** Writes one event; false when the connection is (now) closed. */
  send(event: string, data: string, id?: string): boolean {
    return this.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`);
  }

  comment(text: string): boolean {
    return this.write(`: ${text}\n\n`);
  }

  write(frame: string): boolean {
    if (this.closed) return false;
    // Judged on what is still unsent from earlier frames, so one large record does not drop a reader that keeps up.
    if (this.raw.writableLength > this.maxBufferBytes) {
      this.end('dropped', JSON.stringify({ reason: 'The client did not read its events fast enough; reconnect with Last-Event-ID.' }));
      return false;
    }
    this.raw.write(frame);
    return true;
  }

  /** Ends the stream with a last event (revoked, dropped, shutdown). */
  end(reason: Exclude<CloseReason, 'client'>, data: string): void {
    if (this.closed) return;
    this.raw.write(`event: ${reason}\ndata: ${data}\n\n`);
    this.finish(reason);
    this.raw.end();
    if (reason === 'dropped') {
      // The client is not reading, so the last event may never flush: the socket goes soon regardless.
      const timer = setTimeout(() => this.raw.destroy(), DROP_GRACE_MS);
      timer.unref();
      this.raw.once('close', () => clearTimeout(timer));
    }
  }

  private finish(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this, reason);
  }
}
