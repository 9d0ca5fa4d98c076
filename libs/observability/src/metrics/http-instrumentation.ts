import type { FastifyInstance } from 'fastify';
import type { AccessLog } from '../logging/access-log';
import { redactUrl } from '../logging/redact-url';
import { REQUEST_ID_HEADER } from '../logging/request-id';
import type { MetricsService } from './metrics.service';

/**
 * One hook pair per request: echo the request id, then record the duration and write a
 * single access-log line (Fastify's two default lines per request cost measurable throughput).
 */
export function instrumentHttp(fastify: FastifyInstance, metrics: MetricsService, accessLog: AccessLog): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const ms = reply.elapsedTime;
    metrics.observeRequest(request.method, route, reply.statusCode, ms / 1000);
    if (accessLog.enabled) {
      accessLog.write({
        reqId: String(request.id),
        method: request.method,
        route,
        url: redactUrl(request.url),
        statusCode: reply.statusCode,
        ms: Math.round(ms * 100) / 100,
        ip: request.ip,
      });
    }
    done();
  });
}
