import { Global, Inject, Module, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { HealthRegistry } from '@backlot/observability';
import { RedisConnection } from './redis.connection';

/** Provides the one shared Redis connection when REDIS_URL is set (`undefined` otherwise). */
@Global()
@Module({
  providers: [
    {
      provide: RedisConnection,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        config.cache.redisUrl ? new RedisConnection(config.cache.redisUrl, config.cache.keyPrefix) : undefined,
    },
  ],
  exports: [RedisConnection],
})
export class RedisModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly health: HealthRegistry,
    @Optional() @Inject(RedisConnection) private readonly redis?: RedisConnection,
  ) {}

  async onModuleInit(): Promise<void> {
    const redis = this.redis;
    if (!redis) return;
    await redis.connect();
    // Optional: without Redis every request is still served (cache bypassed, rate limits
    // counted in memory), so an outage must not take every instance out of a load balancer.
    this.health.register(
      'redis',
      async () => {
        if (!redis.available) return { status: 'down', error: 'not connected' };
        await redis.ping();
        return { status: 'up' };
      },
      { required: false },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.close();
  }
}
