import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpConfig } from '@backlot/config';
import { registerCors } from './cors';

/**
 * OWASP's REST headers. JSON responses get a CSP that allows nothing (they are never meant
 * to render); only the Swagger UI page needs scripts and styles from this origin.
 */
const API_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-site',
};
const DOCS_HEADERS: Record<string, string> = {
  ...API_HEADERS,
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
};

/**
 * Security headers on every response (errors and 404s included) and a CORS allow-list.
 * The headers are fixed at start-up and set from constant maps: helmet recomputes its
 * policy on every request, which cost ~13% of CPU on the cheapest route.
 */
export function registerHttpHardening(app: NestFastifyApplication, http: HttpConfig, docsPrefix = '/docs'): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      void reply.headers(request.url.startsWith(docsPrefix) ? DOCS_HEADERS : API_HEADERS);
      done();
    });

  registerCors(app, http);
}
