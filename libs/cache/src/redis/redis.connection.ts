import { Logger } from '@nestjs/common';
import Redis from 'ioredis';

/**
 * The shared Redis connection (cache, rate-limit counters, later pub/sub). Commands fail
 * fast while Redis is away instead of queueing, so callers can bypass it; ioredis keeps
 * reconnecting in the background and `available` flips back when it answers again.
 */
export class RedisConnection {
  readonly client: Redis;
  private readonly logger = new Logger('Redis');
  private wasAvailable = false;
  private readonly recoveryListeners: (() => void)[] = [];

  constructor(
    url: string,
    readonly keyPrefix: string,
  ) {
    this.client = new Redis(url, {
      keyPrefix,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: 1_000,
      lazyConnect: true,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    this.client.on('ready', () => {
      if (!this.wasAvailable) this.logger.log('Redis connection ready');
      this.wasAvailable = true;
      for (const listener of this.recoveryListeners) listener();
    });
    this.client.on('error', (error: Error) => this.markUnavailable(error.message));
    this.client.on('end', () => this.markUnavailable('connection closed'));
  }

  get available(): boolean {
    return this.client.status === 'ready';
  }

  /** Called each time the connection (re)becomes ready. */
  onReady(listener: () => void): void {
    this.recoveryListeners.push(listener);
  }

  async connect(): Promise<void> {
    try {
      await this.client.connect();
    } catch (error) {
      // Start anyway: Backlot runs without its cache and reconnects when Redis is back.
      this.markUnavailable((error as Error).message);
    }
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    this.wasAvailable = false;
    if (this.client.status === 'end') return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private markUnavailable(reason: string): void {
    if (!this.wasAvailable) return;
    this.wasAvailable = false;
    this.logger.warn(`Redis unavailable (${reason}); cache bypassed and rate limits kept in memory until it returns`);
  }
}
