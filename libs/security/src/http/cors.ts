import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpConfig } from '@backlot/config';
import { BadRequest, Forbidden, sendProblem } from '@backlot/http';
import type { FastifyRequest } from 'fastify';

/** Response headers that browser code may read on a cross-origin response (CORS hides the others). */
const EXPOSED_HEADERS = [
  'x-request-id',
  'etag',
  'location',
  'content-disposition',
  'retry-after',
  'idempotent-replayed',
  'www-authenticate',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  // Resumable uploads (tus): the protocol's answers, and where a completed upload went.
  'tus-resumable',
  'tus-version',
  'tus-max-size',
  'tus-extension',
  'upload-offset',
  'upload-length',
  'upload-metadata',
  'upload-expires',
  'record-etag',
  'record-file',
];

/**
 * The CORS allow-list. An allowed preflight is answered by @fastify/cors; a refused one gets a
 * 403 problem that names CORS_ORIGINS. Without this the refusal looked like a wrong URL (404 when
 * CORS is off) or like a success (204 without an allow-origin header for an unlisted origin).
 */
export function registerCors(app: NestFastifyApplication, http: HttpConfig): void {
  const origins = http.corsOrigins;
  const refusal = (request: FastifyRequest) => (request.method === 'OPTIONS' ? preflightRefusal(request, origins) : undefined);
  // Added after the security headers hook, so the problem carries them like every other answer.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      const refused = refusal(request);
      if (refused) sendProblem(refused, request, reply);
      else done();
    });

  if (origins.length === 0) return;
  const wildcard = origins.includes('*');
  const allowing = {
    // A wildcard never comes with credentials: a cookie-bearing SPA must be listed by origin.
    origin: wildcard ? '*' : origins,
    credentials: !wildcard,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  };
  // Nest runs @fastify/cors's hook before every other one, and on its own it answers a preflight
  // from an unlisted origin with a bare 204: for a refused one it stays out, and the hook above answers.
  const stayingOut = { ...allowing, origin: false };
  app.enableCors({ delegator: (request, callback) => callback(null, refusal(request) ? stayingOut : allowing) });
}

/**
 * Why a preflight is refused, if it is. 403: the request is understood and the resource exists,
 * but this server's policy does not let that origin call it. No route here takes OPTIONS for
 * itself, so an OPTIONS that is not a preflight is answered as one that is malformed.
 */
function preflightRefusal(request: FastifyRequest, allowed: string[]): Error | undefined {
  const origin = request.headers.origin;
  if (!origin || !request.headers['access-control-request-method']) {
    return new BadRequest('OPTIONS is answered only as a CORS preflight, with Origin and Access-Control-Request-Method headers.');
  }
  if (allowed.length === 0) {
    return new Forbidden(
      `Cross-origin requests are not enabled; set CORS_ORIGINS=${exampleOrigin(origin)} (a comma-separated list of the origins allowed to call this API).`,
    );
  }
  if (allowed.includes('*') || allowed.includes(origin)) return undefined;
  return new Forbidden(`The origin ${origin} may not make cross-origin requests; add it to CORS_ORIGINS.`);
}

/** The page's own origin when CORS_ORIGINS would accept it as written, so the advice can be copied. */
function exampleOrigin(origin: string): string {
  return /^https?:\/\/[^/\s,]+$/.test(origin) ? origin : 'https://your.app';
}
