import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { RedisConnection } from '../redis/redis.connection';

const CACHE_SEGMENT = 'cache:';

/**
 * A Keyv store over the shared ioredis connection, so the cache, the rate limiter and
 * later pub/sub use one client with one failure policy. Keys get the instance prefix
 * from ioredis and a `cache:` segment so `clear()` never touches other data.
 */
export class RedisKeyvStore extends EventEmitter implements KeyvStoreAdapter {
  opts = {};
  namespace?: string;

  constructor(private readonly redis: RedisConnection) {
    super();
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const value = await this.redis.client.get(CACHE_SEGMENT + key);
    return (value ?? undefined) as StoredData<Value> | undefined;
  }

  async getMany<Value>(keys: string[]): Promise<StoredData<Value | undefined>[]> {
    if (keys.length === 0) return [];
    const values = await this.redis.client.mget(keys.map((key) => CACHE_SEGMENT + key));
    return values.map((value) => (value ?? undefined) as StoredData<Value | undefined>);
  }

  async set(key: string, value: unknown, ttl?: number): Promise<void> {
    const serialized = typeof value === 'string' ? value : JSON.stringify(value);
    if (ttl && ttl > 0) await this.redis.client.set(CACHE_SEGMENT + key, serialized, 'PX', Math.ceil(ttl));
    else await this.redis.client.set(CACHE_SEGMENT + key, serialized);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.client.del(CACHE_SEGMENT + key)) > 0;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return false;
    return (await this.redis.client.del(...keys.map((key) => CACHE_SEGMENT + key))) > 0;
  }

  async has(key: string): Promise<boolean> {
    return (await this.redis.client.exists(CACHE_SEGMENT + key)) > 0;
  }

  /** Removes this instance's cache keys only (SCAN, not KEYS, so Redis is never blocked). */
  async clear(): Promise<void> {
    const pattern = `${this.redis.keyPrefix}${CACHE_SEGMENT}*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      // SCAN returns full keys; strip the prefix ioredis adds back on DEL.
      if (keys.length > 0) await this.redis.client.del(...keys.map((key) => key.slice(this.redis.keyPrefix.length)));
    } while (cursor !== '0');
  }
}
