import { SetMetadata } from '@nestjs/common';
import { Throttle } from '@nestjs/throttler';

/**
 * Overrides the global limit for a route or controller: at most `limit` requests per
 * `ttlSeconds` per client IP (e.g. `@RateLimit(5, 60)` on a login route).
 */
export function RateLimit(limit: number, ttlSeconds: number): MethodDecorator & ClassDecorator {
  return Throttle({ default: { limit, ttl: ttlSeconds * 1000 } });
}

export { SkipThrottle as SkipRateLimit } from '@nestjs/throttler';

export const CREDENTIAL_ROUTE = 'backlot:credential-route';

/**
 * Adds the stricter per-IP limit for routes that take credentials or send mail
 * (AUTH_RATE_LIMIT_MAX per AUTH_RATE_LIMIT_TTL_SECONDS), on top of the global one.
 */
export function CredentialRateLimit(): MethodDecorator & ClassDecorator {
  return SetMetadata(CREDENTIAL_ROUTE, true);
}
