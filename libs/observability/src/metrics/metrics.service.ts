import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { RequestHistogram } from './request-histogram';

/**
 * One Prometheus registry per app instance (not prom-client's global one, so several apps
 * can live in one process, as they do in tests). Other libs add their gauges to `registry`.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly httpDuration: RequestHistogram<'method' | 'route' | 'status_code'>;
  private readonly series = new Map<string, { observe(value: number): void }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new RequestHistogram(
      'http_request_duration_seconds',
      'HTTP request duration by method, route template and status code',
      ['method', 'route', 'status_code'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      this.registry,
    );
  }

  /** `route` must be the route template (`/api/v1/things/:id`), never the raw URL. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    // The set of (method, route, status) is small, so each one's series is looked up by a string key.
    const key = `${method} ${statusCode} ${route}`;
    let series = this.series.get(key);
    if (!series) {
      series = this.httpDuration.series(method, route, String(statusCode));
      this.series.set(key, series);
    }
    series.observe(seconds);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
