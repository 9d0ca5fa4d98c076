import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { NotFound, PROBLEM_CONTENT_TYPE, toProblem } from '@backlot/http';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsService } from './metrics.service';
import { MetricsToken } from './metrics-token.guard';

/**
 * METRICS_PORT: a second, minimal listener that serves only GET /metrics, for an interface
 * Prometheus reaches and the public does not (METRICS_HOST, default 127.0.0.1). METRICS_TOKEN
 * still applies when set. The server starts it once the API port listens; CLI commands that
 * boot the app never do.
 */
@Injectable()
export class MetricsListener implements OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private readonly token: MetricsToken;
  private server?: Server;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.token = new MetricsToken(config.observability.metricsToken);
  }

  /** Listens when METRICS_PORT is set (0 picks a free port); returns the bound address. */
  async start(): Promise<AddressInfo | undefined> {
    const target = this.config.observability.metricsListener;
    if (!target || this.server) return this.address();
    const server = createServer((request, response) => void this.answer(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(target.port, target.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return this.address();
  }

  address(): AddressInfo | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address : undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    try {
      if (path !== '/metrics' || request.method !== 'GET') throw new NotFound('This port serves only GET /metrics.');
      this.token.check(request.headers.authorization);
      const body = await this.metrics.render();
      response.writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store' }).end(body);
    } catch (error) {
      const { problem, headers, unexpected } = toProblem(error, { instance: path });
      if (unexpected !== undefined)
        this.logger.error({ msg: 'metrics scrape failed', errorId: problem.errorId, error: String(unexpected) });
      response.writeHead(problem.status, { ...headers, 'content-type': PROBLEM_CONTENT_TYPE }).end(JSON.stringify(problem));
    }
  }
}
