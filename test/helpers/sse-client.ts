import { get, type IncomingMessage } from 'node:http';

/** One Server-Sent Event as an EventSource would dispatch it. */
export interface SseEvent {
  event: string;
  id?: string;
  data: string;
  /** `data` parsed as JSON (undefined when it is not JSON). */
  json?: Record<string, unknown>;
}

export interface SseStream {
  status: number;
  headers: Headers;
  /** The id of the last event that carried one (what EventSource sends back as Last-Event-ID). */
  lastEventId?: string;
  /** Comments seen (`: ping`). */
  comments: string[];
  /** Every event received so far. */
  received: SseEvent[];
  /** Waits for the next event matching `accept` (all events before it are consumed). */
  next(accept?: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Collects events until `count` of them match, or the time runs out; returns the matching ones. */
  take(count: number, accept?: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A record change event (not `ready`, `resync` or a final one). */
export const isChange = (event: SseEvent) => ['created', 'updated', 'deleted'].includes(event.event);

/** The `title` of a change event's record. */
export const titleOf = (event: SseEvent) => (event.json!.record as { title: string }).title;

/**
 * A minimal EventSource over node:http: streams the body, parses `event:` / `id:` / `data:`
 * frames and comments, and sends Last-Event-ID when asked. For non-200 answers `status`
 * and `problem` tell what went wrong (the body is read as JSON).
 */
export async function openSse(
  url: string,
  options: { headers?: Record<string, string>; lastEventId?: string } = {},
): Promise<SseStream & { problem?: Record<string, unknown> }> {
  const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
  if (options.lastEventId) headers['last-event-id'] = options.lastEventId;
  // node:http with a socket of its own: closing it leaves nothing behind (fetch's pool would open a spare connection).
  const request = get(url, { headers, agent: false });
  const response = await new Promise<IncomingMessage>((resolve, reject) => request.once('response', resolve).once('error', reject));
  const received: SseEvent[] = [];
  const comments: string[] = [];
  const waiters: (() => void)[] = [];
  let cursor = 0;
  let done = false;
  const wake = () => waiters.splice(0).forEach((w) => w());
  const responseHeaders = new Headers();
  for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') responseHeaders.set(name, value);

  const stream: SseStream & { problem?: Record<string, unknown> } = {
    status: response.statusCode ?? 0,
    headers: responseHeaders,
    comments,
    received,
    ended: Promise.resolve(),
    close: () => request.destroy(),
    async next(accept = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (cursor < received.length) {
          const event = received[cursor++];
          if (accept(event)) return event;
        }
        if (done) throw new Error(`stream ended while waiting (got ${received.map((e) => e.event).join(', ')})`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms (got ${received.map((e) => e.event).join(', ')})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async take(count, accept = () => true, timeoutMs = 10_000) {
      const out: SseEvent[] = [];
      while (out.length < count) out.push(await stream.next(accept, timeoutMs));
      return out;
    },
  };
  if (stream.status !== 200) {
    let body = '';
    for await (const chunk of response) body += String(chunk);
    stream.problem = JSON.parse(body || 'null') as Record<string, unknown> | undefined;
    request.destroy();
    return stream;
  }

  stream.ended = new Promise<void>((resolve) => {
    let buffer = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parseBlock(block, comments);
        if (event) {
          if (event.id) stream.lastEventId = event.id;
          received.push(event);
        }
      }
      wake();
    });
    const finish = () => {
      done = true;
      wake();
      resolve();
    };
    response.once('end', finish).once('close', finish).once('error', finish);
  });
  return stream;
}

function parseBlock(block: string, comments: string[]): SseEvent | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comments.push(line.slice(1).trim());
    else if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('id:')) id = line.slice(3).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return undefined;
  const text = data.join('\n');
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { event, id, data: text, json };
}
