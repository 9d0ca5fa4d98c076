import { type ExecutionContext, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { RedisConnection, RedisModule } from '@backlot/cache';
import { CREDENTIAL_ROUTE } from './rate-limit.decorator';
import { RateLimitGuard } from './rate-limit.guard';
import { ResilientThrottlerStorage } from './resilient-throttler-storage';

/** Global per-IP rate limit (RATE_LIMIT_MAX per RATE_LIMIT_TTL_SECONDS), overridable per route, plus the credential-route limit. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RedisModule],
      inject: [APP_CONFIG, { token: RedisConnection, optional: true }],
      useFactory: (config: AppConfig, redis?: RedisConnection) => ({
        throttlers: [
          { name: 'default', ttl: config.rateLimit.ttlSeconds * 1000, limit: config.rateLimit.max },
          {
            name: 'credentials',
            ttl: config.auth.rateLimit.ttlSeconds * 1000,
            limit: config.auth.rateLimit.max,
            skipIf: (context: ExecutionContext) => !isCredentialRoute(context),
            // One budget per client across every credential route, not one per route.
            generateKey: (_context: ExecutionContext, tracker: string, name: string) => `${name}:${tracker}`,
          },
        ],
        storage: new ResilientThrottlerStorage(redis),
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
})
export class RateLimitModule {}

function isCredentialRoute(context: ExecutionContext): boolean {
  return (
    Reflect.getMetadata(CREDENTIAL_ROUTE, context.getHandler()) === true ||
    Reflect.getMetadata(CREDENTIAL_ROUTE, context.getClass()) === true
  );
}
