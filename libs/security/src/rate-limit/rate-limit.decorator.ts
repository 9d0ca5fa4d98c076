import { Throttle } from '@nestjs/throttler';

/**
 * Overrides the global limit for a route or controller: at most `limit` requests per
 * `ttlSeconds` per client IP (e.g. `@RateLimit(5, 60)` on a login route).
 */
export function RateLimit(limit: number, ttlSeconds: number): MethodDecorator & ClassDecorator {
  return Throttle({ default: { limit, ttl: ttlSeconds * 1000 } });
}

export { SkipThrottle as SkipRateLimit } from '@nestjs/throttler';
