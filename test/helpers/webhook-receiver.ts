import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got: the raw body exactly as sent, and its headers. */
export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The response it was given. */
  status: number;
}

/** What the receiver answers to the next request(s); the default is 200 `ok`. */
export interface PlannedResponse {
  status?: number;
  body?: string | Buffer;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Stream a body that never ends (until the client hangs up). */
  endless?: boolean;
}

/**
 * A real HTTP server on 127.0.0.1 (port 0) standing in for a customer's webhook endpoint:
 * records every request and answers from a queue of planned responses (fail the next N,
 * redirect, a huge body, a slow answer), then `ok`.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly plans: PlannedResponse[] = [];
  private server?: Server;
  private port = 0;

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await receiver.listen();
    return receiver;
  }

  /** The receiver's URL at `path`; `host` may be a name that resolves to 127.0.0.1, where it listens. */
  url(path = '/hook', host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  /** Answer the next `times` requests with `response`. */
  plan(response: PlannedResponse, times = 1): void {
    for (let i = 0; i < times; i++) this.plans.push(response);
  }

  /** Requests to `path` (all paths when omitted). */
  at(path?: string): ReceivedWebhook[] {
    return path ? this.received.filter((request) => request.path === path) : this.received;
  }

  reset(): void {
    this.received.length = 0;
    this.plans.length = 0;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private stream(response: ServerResponse): void {
    const chunk = Buffer.alloc(16 * 1024, 'a');
    const write = () => {
      while (!response.destroyed && response.write(chunk));
      if (!response.destroyed) response.once('drain', write);
    };
    response.on('error', () => undefined);
    write();
  }

  private listen(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const plan = this.plans.shift() ?? {};
        const status = plan.status ?? 200;
        this.received.push({ path: request.url ?? '/', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status });
        const answer = () => {
          response.writeHead(status, plan.headers ?? { 'content-type': 'text/plain' });
          if (plan.endless) return this.stream(response);
          response.end(plan.body ?? 'ok');
        };
        if (plan.delayMs) setTimeout(answer, plan.delayMs);
        else answer();
      });
    });
    return new Promise((resolve) =>
      this.server!.listen(0, '127.0.0.1', () => {
        this.port = (this.server!.address() as AddressInfo).port;
        resolve();
      }),
    );
  }
}
