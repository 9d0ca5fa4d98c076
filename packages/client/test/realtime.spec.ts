import { createClient, ProblemError, type RecordEvent } from '../src/index';
import { readEvents } from '../src/realtime';

const encoder = new TextEncoder();
const streamOf = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });

async function collect(body: ReadableStream<Uint8Array>) {
  const events = [];
  for await (const event of readEvents(body)) events.push(event);
  return events;
}

describe('realtime: Server-Sent Events over fetch', () => {
  it('parses events split anywhere across chunks: CRLF, comments, multi-line data, ids that carry over, retry', async () => {
    const events = await collect(
      streamOf(
        'retry: 2000\n\n: ping\r\nevent: rea',
        'dy\ndata: {"a":\ndata: 1}\r\n\r\nid: 7\nevent: created\ndata: x\n\n',
        'event: resync\ndata: {}\n\n',
      ),
    );
    expect(events).toEqual([
      { name: '', id: '', data: '', retry: 2000 },
      { name: 'ready', id: '', data: '{"a":\n1}' },
      { name: 'created', id: '7', data: 'x' },
      { name: 'resync', id: '7', data: '{}' },
    ]);
  });

  it('reconnects after the stream ends, resuming with Last-Event-ID', async () => {
    const sent: Headers[] = [];
    const fetch = (async (_input: RequestInfo | URL, init: RequestInit = {}) => {
      sent.push(new Headers(init.headers));
      const body =
        sent.length === 1
          ? streamOf(
              'retry: 10\nevent: ready\ndata: {}\n\n',
              'id: 41\nevent: created\ndata: {"collection":"notes","action":"created","record":{"id":"n1"}}\n\n',
            )
          : new ReadableStream<Uint8Array>(); // stays open
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }) as typeof globalThis.fetch;
    const client = createClient({ url: 'http://api.test', fetch, apiKey: 'blk_test' });
    const events: RecordEvent[] = [];
    const subscription = client.realtime.subscribe('notes', (event) => events.push(event));
    await subscription.ready;
    for (let tries = 0; sent.length < 2 && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    subscription.close();
    expect(events).toEqual([{ collection: 'notes', action: 'created', record: { id: 'n1' }, id: '41' }]);
    expect(sent[0].get('last-event-id')).toBeNull();
    expect(sent[1].get('last-event-id')).toBe('41');
    expect(sent[1].get('x-api-key')).toBe('blk_test');
  });

  it('stops for good, once, when the server refuses the subscription (a 400 for a bad filter)', async () => {
    let calls = 0;
    const fetch = (async () => {
      calls++;
      return new Response(JSON.stringify({ status: 400, detail: 'Unexpected character', position: 3 }), {
        status: 400,
        headers: { 'content-type': 'application/problem+json' },
      });
    }) as typeof globalThis.fetch;
    const errors: unknown[] = [];
    const subscription = createClient({ url: 'http://api.test', fetch }).realtime.subscribe('notes', () => undefined, {
      filter: { notes: 'a = = 1' },
      onError: (error) => errors.push(error),
    });
    await expect(subscription.ready).rejects.toBeInstanceOf(ProblemError);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
  });
});
