import type { RedisConnection } from '@backlot/cache';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { MemoryRateLimitStore } from './memory-rate-limit-store';

/**
 * Rate-limit counters in Redis (shared by every instance) when it is configured and up;
 * in process memory otherwise, and meanwhile while Redis is away, so an outage degrades
 * limits to per-instance instead of failing every request.
 */
export class ResilientThrottlerStorage implements ThrottlerStorage {
  private readonly memory = new MemoryRateLimitStore();
  private readonly shared?: ThrottlerStorageRedisService;

  constructor(private readonly redis?: RedisConnection) {
    this.shared = redis ? new ThrottlerStorageRedisService(redis.client) : undefined;
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    if (this.shared && this.redis?.available) {
      try {
        return await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
      } catch {
        // Fall through: counting locally beats refusing or erroring every request.
      }
    }
    return this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  onApplicationShutdown(): void {
    this.memory.onApplicationShutdown();
  }
}
