import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook } from './webhook-client';

describe('postWebhook', () => {
  let server: Server;
  let port: number;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  /** Requests to /hang are never answered. */
  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (request.url !== '/hang') response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  // `.invalid` never resolves: the request can only arrive through the pinned address.
  const target = { host: 'receiver.invalid', address: { address: '127.0.0.1', family: 4 as const } };

  it('connects to the checked address, not to what the name resolves to, and keeps the URL host in the Host header', async () => {
    const result = await postWebhook({
      url: new URL(`http://receiver.invalid:${port}/hook`),
      target,
      headers: { 'Content-Type': 'application/json' },
      body: '{"id":"1"}',
      signal: new AbortController().signal,
    });
    expect(result).toMatchObject({ status: 200, body: 'ok', truncated: false });
    expect(received.at(-1)).toMatchObject({ headers: { host: `receiver.invalid:${port}` }, body: '{"id":"1"}' });
  });

  it('ends the exchange when its signal aborts, with the signal reason', async () => {
    const deadline = new AbortController();
    const posted = postWebhook({
      url: new URL(`http://receiver.invalid:${port}/hang`),
      target,
      headers: {},
      body: '{}',
      signal: deadline.signal,
    });
    const before = received.length;
    while (received.length === before) await new Promise((resolve) => setTimeout(resolve, 10));
    deadline.abort(new Error('the deadline passed'));
    await expect(posted).rejects.toThrow('the deadline passed');
  });
});
