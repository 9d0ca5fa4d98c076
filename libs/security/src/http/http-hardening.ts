import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpConfig } from '@backlot/config';

const EXPOSED_HEADERS = ['x-request-id', 'etag', 'location', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

/** Security headers on every response and a CORS allow-list (nothing cross-origin unless listed). */
export async function registerHttpHardening(app: NestFastifyApplication, http: HttpConfig): Promise<void> {
  await app.register(helmet, {
    // The API serves JSON; only the Swagger UI page is HTML and it needs inline styles.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginResourcePolicy: { policy: 'same-site' },
  });

  const wildcard = http.corsOrigins.includes('*');
  app.enableCors({
    // A wildcard never comes with credentials: a cookie-bearing SPA must be listed by origin.
    origin: wildcard ? '*' : http.corsOrigins.length > 0 ? http.corsOrigins : false,
    credentials: !wildcard,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  });
}
