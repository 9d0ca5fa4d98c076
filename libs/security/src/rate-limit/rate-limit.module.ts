import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { RedisConnection, RedisModule } from '@backlot/cache';
import { RateLimitGuard } from './rate-limit.guard';
import { ResilientThrottlerStorage } from './resilient-throttler-storage';

/** Global per-IP rate limit (RATE_LIMIT_MAX per RATE_LIMIT_TTL_SECONDS), overridable per route. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RedisModule],
      inject: [APP_CONFIG, { token: RedisConnection, optional: true }],
      useFactory: (config: AppConfig, redis?: RedisConnection) => ({
        throttlers: [{ name: 'default', ttl: config.rateLimit.ttlSeconds * 1000, limit: config.rateLimit.max }],
        storage: new ResilientThrottlerStorage(redis),
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
})
export class RateLimitModule {}
