import type { Filter } from './filter.js';
import type { Transport } from './http.js';
import { ProblemError } from './problem.js';
import type { RecordBase } from './records.js';

export interface RecordEvent<T = Record<string, unknown>> {
  action: 'created' | 'updated' | 'deleted';
  collection: string;
  /** The record as GET shows it (a deleted one as it was). */
  record: RecordBase & T;
  /** The event id a reconnect resumes after. */
  id: string;
}

export interface SubscribeOptions {
  /** Narrows a subscribed collection: `{ tasks: filter\`status = ${'open'}\` }`. */
  filter?: Record<string, Filter | string>;
  /** Events may have been missed (too long away, lost on the server): reload what you show, then follow events. */
  onResync?: (reason: string) => void;
  /** The subscription stopped for good: refused (400, 403, 404), or the session was revoked. */
  onError?: (error: Error) => void;
}

export interface Subscription {
  /** Resolves once the server confirmed the subscriptions (the first `ready`). */
  ready: Promise<void>;
  close(): void;
}

/** What the realtime client needs of its client: the transport and the session's headers (refreshed when due). */
export interface RealtimeTransport {
  http: Transport;
  headers(): Promise<Record<string, string>>;
  refreshAfter401(): Promise<boolean>;
}

const RECORD_EVENTS = new Set(['created', 'updated', 'deleted']);
const MAX_WAIT_MS = 30_000;

/**
 * Record changes over Server-Sent Events, read with fetch (so the access token goes in a header,
 * never in the URL, in browsers and Node alike). A dropped stream reconnects with Last-Event-ID
 * and backoff; the server replays what was missed or says `resync`.
 */
export class Realtime {
  constructor(private readonly transport: RealtimeTransport) {}

  /**
   * `targets`: collections (`'tasks'`) or single records (`'tasks:<id>'`), at most 20.
   * The handler gets every created, updated and deleted record the caller may see.
   */
  subscribe<T = Record<string, unknown>>(
    targets: string | string[],
    handler: (event: RecordEvent<T>) => void,
    options: SubscribeOptions = {},
  ): Subscription {
    const abort = new AbortController();
    let confirm!: () => void;
    let refuse!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => ((confirm = resolve), (refuse = reject)));
    ready.catch(() => undefined); // reported through onError too; awaiting it is optional
    const query: Record<string, string | string[]> = { subscribe: [targets].flat() };
    for (const [collection, expression] of Object.entries(options.filter ?? {})) query[`filter.${collection}`] = expression.toString();
    const stop = (error: Error) => {
      abort.abort();
      refuse(error);
      options.onError?.(error);
    };
    void this.follow(query, abort.signal, {
      event: (name, id, data) => {
        if (name === 'ready') confirm();
        else if (RECORD_EVENTS.has(name)) handler({ ...(JSON.parse(data) as Omit<RecordEvent<T>, 'id'>), id });
        else if (name === 'resync') options.onResync?.((JSON.parse(data) as { reason?: string }).reason ?? '');
        else if (name === 'revoked') stop(new Error('The session behind this subscription was revoked.'));
      },
      stop,
    });
    return { ready, close: () => abort.abort() };
  }

  private async follow(
    query: Record<string, string | string[]>,
    signal: AbortSignal,
    on: { event: (name: string, id: string, data: string) => void; stop: (error: Error) => void },
  ): Promise<void> {
    let lastEventId: string | undefined;
    let retryMs = 2_000;
    for (let failures = 0; !signal.aborted;) {
      try {
        const headers = { ...(await this.transport.headers()), ...(lastEventId && { 'last-event-id': lastEventId }) };
        const response = await this.transport.http.open('/realtime', query, headers, signal);
        failures = 0;
        for await (const event of readEvents(response.body!)) {
          if (event.retry !== undefined) retryMs = event.retry;
          if (event.id) lastEventId = event.id;
          if (event.name) on.event(event.name, event.id, event.data);
          if (signal.aborted) return;
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ProblemError) {
          if (error.status === 401 && failures === 0 && (await this.transport.refreshAfter401().catch(() => false))) {
            failures++;
            continue;
          }
          // Refused for what it asks (bad filter, unknown collection, closed to the caller): retrying cannot help.
          if (error.status !== 429 && error.status < 500) return on.stop(error);
        }
        failures++;
      }
      // The stream ended (shutdown, dropped, network): come back after the server's retry, longer after repeated failures.
      await wait(Math.min(MAX_WAIT_MS, retryMs * 2 ** Math.max(0, failures - 1)) * (0.5 + Math.random() / 2), signal);
    }
  }
}

interface ServerEvent {
  name: string;
  id: string;
  data: string;
  retry?: number;
}

/** Server-Sent Events from a byte stream, as the HTML standard parses them. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let event: ServerEvent = { name: 'message', id: '', data: '' };
  let hasData = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
        if (line === '') {
          if (hasData) yield { ...event, data: event.data.replace(/\n$/, '') };
          // A block that only sets the reconnection time still says so.
          else if (event.retry !== undefined) yield { name: '', id: event.id, data: '', retry: event.retry };
          event = { name: 'message', id: event.id, data: '' };
          hasData = false;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const fieldName = colon < 0 ? line : line.slice(0, colon);
        const fieldValue = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (fieldName === 'event') event.name = fieldValue;
        else if (fieldName === 'data') {
          event.data += `${fieldValue}\n`;
          hasData = true;
        } else if (fieldName === 'id' && !fieldValue.includes('\0')) event.id = fieldValue;
        else if (fieldName === 'retry' && /^\d+$/.test(fieldValue)) event.retry = Number(fieldValue);
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
