import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { MetricsService } from '@backlot/observability';
import type { Cache } from 'cache-manager';
import { Counter } from 'prom-client';
import { RedisConnection } from './redis/redis.connection';

/** What a namespace name looks like (the admin API checks names against it). */
export const CACHE_NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
const REPEAT_EVICTION_MS = 1_000;
type Outcome = 'hit' | 'miss' | 'bypass';

/**
 * Namespaced cache over @nestjs/cache-manager. Each namespace has a version that is part
 * of every key; `invalidate()` bumps it, which drops the whole group at once — on every
 * instance, because with Redis the version lives in Redis. When Redis is away the cache
 * is bypassed (loaders run, nothing fails) and invalidations made meanwhile are replayed
 * when it returns, so no instance serves entries that should have been dropped.
 */
@Injectable()
export class CacheService {
  private readonly logger = new Logger('Cache');
  private readonly localVersions = new Map<string, number>();
  private readonly known = new Set<string>();
  private readonly pendingInvalidations = new Set<string>();
  private nextReplayAt = 0;
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly outcomes: Counter<'result'>;
  private readonly defaultTtlMs: number;

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
    @Optional() private readonly redis?: RedisConnection,
  ) {
    this.defaultTtlMs = config.cache.ttlSeconds * 1000;
    this.outcomes = new Counter({
      name: 'cache_requests_total',
      help: 'Cache lookups by outcome',
      labelNames: ['result'],
      registers: [metrics.registry],
    });
    redis?.onReady(() => void this.replayInvalidations());
  }

  namespace(name: string): CacheNamespace {
    if (!CACHE_NAMESPACE_PATTERN.test(name)) throw new Error(`Invalid cache namespace "${name}"`);
    this.known.add(name);
    return new CacheNamespace(this, name);
  }

  /** Namespaces this instance has opened (others may know more: some open per collection, on first use). */
  namespaces(): string[] {
    return [...this.known].sort();
  }

  /**
   * Drops every cached entry, on every instance. The known namespaces' versions move on too, so
   * a load that started before the flush writes where nobody reads. With Redis, only this
   * deployment's `cache:` keys go; when Redis cannot be reached the known namespaces are
   * invalidated as soon as it returns, and the error is passed on.
   */
  async flushAll(): Promise<void> {
    if (!this.redis) {
      for (const name of this.known) this.localVersions.set(name, (this.localVersions.get(name) ?? 0) + 1);
      await this.cache.clear();
      return;
    }
    try {
      if (!this.redis.available) throw new Error('Redis unavailable');
      await Promise.all([...this.known].map((name) => this.redis!.client.incr(versionKey(name))));
      await this.cache.clear();
    } catch (error) {
      for (const name of this.known) this.pendingInvalidations.add(name);
      throw error;
    }
  }

  /** Hit ratio since start, for the admin stats. */
  async stats(): Promise<{ hits: number; misses: number; bypassed: number }> {
    const { values } = await this.outcomes.get();
    const count = (result: Outcome) => values.find((v) => v.labels.result === result)?.value ?? 0;
    return { hits: count('hit'), misses: count('miss'), bypassed: count('bypass') };
  }

  /** @internal used by CacheNamespace */
  async read<T>(namespace: string, key: string): Promise<T | undefined> {
    if (!this.usable()) return this.record('bypass', undefined);
    try {
      const value = await this.cache.get<T>(await this.versionedKey(namespace, key));
      return this.record(value === undefined ? 'miss' : 'hit', value);
    } catch (error) {
      return this.record('bypass', this.failed('read', error));
    }
  }

  /** @internal */
  async write<T>(namespace: string, key: string, value: T, ttlSeconds?: number): Promise<void> {
    if (!this.usable()) return;
    try {
      await this.cache.set(await this.versionedKey(namespace, key), value, ttlSeconds ? ttlSeconds * 1000 : this.defaultTtlMs);
    } catch (error) {
      this.failed('write', error);
    }
  }

  /**
   * @internal A delete that cannot reach Redis turns into a pending invalidation of the
   * whole namespace: entries that must go (a revoked session) are never served again.
   */
  async remove(namespace: string, key: string): Promise<void> {
    if (!this.usable()) {
      if (this.redis) this.pendingInvalidations.add(namespace);
      return;
    }
    try {
      await this.cache.del(await this.versionedKey(namespace, key));
    } catch (error) {
      this.pendingInvalidations.add(namespace);
      this.failed('delete', error);
    }
  }

  /** @internal Concurrent misses for one key share a single load. */
  async getOrSet<T>(namespace: string, key: string, load: () => Promise<T>, ttlSeconds?: number): Promise<T> {
    const cached = await this.read<T>(namespace, key);
    if (cached !== undefined) return cached;
    const flightKey = `${namespace}\u0000${key}`;
    const running = this.inFlight.get(flightKey) as Promise<T> | undefined;
    if (running) return running;
    const loading = load()
      .then(async (value) => {
        if (value !== undefined) await this.write(namespace, key, value, ttlSeconds);
        return value;
      })
      .finally(() => this.inFlight.delete(flightKey));
    this.inFlight.set(flightKey, loading);
    return loading;
  }

  /** @internal */
  async invalidate(namespace: string): Promise<void> {
    if (!this.redis) {
      this.localVersions.set(namespace, (this.localVersions.get(namespace) ?? 0) + 1);
      return;
    }
    try {
      if (!this.redis.available) throw new Error('Redis unavailable');
      await this.redis.client.incr(versionKey(namespace));
    } catch (error) {
      this.pendingInvalidations.add(namespace);
      this.failed('invalidate', error);
    }
  }

  private async versionedKey(namespace: string, key: string): Promise<string> {
    const version = this.redis
      ? ((await this.redis.client.get(versionKey(namespace))) ?? '0')
      : String(this.localVersions.get(namespace) ?? 0);
    return `${namespace}:v${version}:${key}`;
  }

  private usable(): boolean {
    if (!this.redis) return true;
    if (!this.redis.available) return false;
    if (this.pendingInvalidations.size === 0) return true;
    // A stall without a disconnect never fires 'ready' again, so retry the replay from here too.
    if (Date.now() >= this.nextReplayAt) void this.replayInvalidations();
    return false;
  }

  private async replayInvalidations(): Promise<void> {
    this.nextReplayAt = Date.now() + 1_000;
    for (const namespace of [...this.pendingInvalidations]) {
      try {
        await this.redis!.client.incr(versionKey(namespace));
        this.pendingInvalidations.delete(namespace);
      } catch (error) {
        this.failed('invalidate', error);
        return;
      }
    }
    if (this.pendingInvalidations.size === 0) this.logger.log('Cache back in use');
  }

  private record<T>(outcome: Outcome, value: T): T {
    this.outcomes.inc({ result: outcome });
    return value;
  }

  private failed(operation: string, error: unknown): undefined {
    this.logger.debug(`cache ${operation} skipped: ${(error as Error).message}`);
    return undefined;
  }
}

function versionKey(namespace: string): string {
  return `cache-version:${namespace}`;
}

/** A group of cache entries that is invalidated as one (e.g. one collection's query results). */
export class CacheNamespace {
  constructor(
    private readonly service: CacheService,
    readonly name: string,
  ) {}

  get<T>(key: string): Promise<T | undefined> {
    return this.service.read<T>(this.name, key);
  }

  set<T>(key: string, value: T, ttlSeconds?: number): Promise<void> {
    return this.service.write(this.name, key, value, ttlSeconds);
  }

  getOrSet<T>(key: string, load: () => Promise<T>, ttlSeconds?: number): Promise<T> {
    return this.service.getOrSet(this.name, key, load, ttlSeconds);
  }

  delete(key: string): Promise<void> {
    return this.service.remove(this.name, key);
  }

  /**
   * Deletes entries whose source just changed (a revoked session), and again a moment later:
   * a load that read the old row just before the change could otherwise write it back.
   */
  async evict(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await Promise.all(keys.map((key) => this.delete(key)));
    setTimeout(() => void Promise.all(keys.map((key) => this.delete(key))), REPEAT_EVICTION_MS).unref();
  }

  /** Drops every entry of the namespace, on every instance. */
  invalidate(): Promise<void> {
    return this.service.invalidate(this.name);
  }
}
