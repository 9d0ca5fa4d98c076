import { Inject, Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisConnection } from '../redis/redis.connection';

const CHANNEL = /^[a-z0-9][a-z0-9._:-]{0,127}$/i;
type Handler = (message: unknown) => void;

/**
 * Messages to every instance of the deployment (realtime fan-out, cross-instance signals):
 * Redis pub/sub when REDIS_URL is set, in-process delivery otherwise. The publishing
 * instance receives its own messages too, so a subscriber handles each message once
 * wherever it was published. Delivery is at most once: a message published while Redis is
 * away is lost (subscribers that must not miss anything resynchronise from the database).
 */
@Injectable()
export class ClusterBus implements OnApplicationShutdown {
  private readonly logger = new Logger('ClusterBus');
  private readonly handlers = new Map<string, Set<Handler>>();
  private subscriber?: Redis;

  constructor(@Optional() @Inject(RedisConnection) private readonly redis?: RedisConnection) {}

  async publish(channel: string, message: unknown): Promise<void> {
    checkChannel(channel);
    const payload = JSON.stringify(message);
    if (!this.redis) {
      queueMicrotask(() => this.deliver(channel, payload));
      return;
    }
    await this.redis.client.publish(this.redisChannel(channel), payload);
  }

  /** Calls `handler` with each message published on `channel` by any instance; returns an unsubscribe function. */
  async subscribe(channel: string, handler: Handler): Promise<() => Promise<void>> {
    checkChannel(channel);
    let handlers = this.handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.handlers.set(channel, handlers);
      if (this.redis) await this.connection().subscribe(this.redisChannel(channel));
    }
    handlers.add(handler);
    return async () => {
      handlers.delete(handler);
      if (handlers.size > 0 || this.handlers.get(channel) !== handlers) return;
      this.handlers.delete(channel);
      if (this.subscriber) await this.subscriber.unsubscribe(this.redisChannel(channel)).catch(() => undefined);
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.handlers.clear();
    if (this.subscriber) await this.subscriber.quit().catch(() => this.subscriber?.disconnect());
  }

  /** A connection in subscriber mode cannot send other commands: the bus has its own, re-subscribed after reconnects. */
  private connection(): Redis {
    if (!this.subscriber) {
      this.subscriber = this.redis!.client.duplicate({ enableOfflineQueue: true, lazyConnect: false, keyPrefix: undefined });
      this.subscriber.on('error', (error: Error) => this.logger.debug(`subscriber: ${error.message}`));
      this.subscriber.on('message', (channel: string, payload: string) => this.deliver(channel.slice(this.prefix().length), payload));
    }
    return this.subscriber;
  }

  private deliver(channel: string, payload: string): void {
    const handlers = this.handlers.get(channel);
    if (!handlers) return;
    const message = JSON.parse(payload) as unknown;
    for (const handler of handlers) {
      try {
        handler(message);
      } catch (error) {
        this.logger.error({ msg: `handler for ${channel} failed`, err: error });
      }
    }
  }

  /** Channels are not covered by ioredis' key prefix: prefix them here so deployments sharing a Redis stay apart. */
  private prefix(): string {
    return `${this.redis?.keyPrefix ?? ''}bus:`;
  }

  private redisChannel(channel: string): string {
    return this.prefix() + channel;
  }
}

function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) throw new Error(`Invalid channel "${channel}"`);
}
