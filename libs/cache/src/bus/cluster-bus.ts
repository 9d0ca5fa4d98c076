import { Inject, Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { RedisConnection } from '../redis/redis.connection';

const CHANNEL = /^[a-z0-9][a-z0-9._:-]{0,127}$/i;
/** The bus's own channel: "my publish failed, assume you missed messages" from one instance to the others. */
const GAP_CHANNEL = 'bus.gap';
type Handler = (message: unknown) => void;

/**
 * Messages to every instance of the deployment (realtime fan-out, cross-instance signals):
 * Redis pub/sub when REDIS_URL is set, in-process delivery otherwise. The publishing
 * instance receives its own messages too, so a subscriber handles each message once
 * wherever it was published. Delivery is at most once: a message published while Redis is
 * away is lost. The bus says when that may have happened (`onGap`), so subscribers that
 * must not miss anything can resynchronise from the database.
 */
@Injectable()
export class ClusterBus implements OnApplicationShutdown {
  private readonly logger = new Logger('ClusterBus');
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly gapListeners: (() => void)[] = [];
  private readonly instanceId = randomUUID();
  private subscriber?: Redis;
  private subscriberWasReady = false;
  private gapNoticeOwed = false;

  constructor(@Optional() @Inject(RedisConnection) private readonly redis?: RedisConnection) {
    redis?.onReady(() => this.sendGapNotice());
  }

  async publish(channel: string, message: unknown): Promise<void> {
    checkChannel(channel);
    const payload = JSON.stringify(message);
    if (!this.redis) {
      queueMicrotask(() => this.deliver(channel, payload));
      return;
    }
    try {
      await this.redis.client.publish(this.redisChannel(channel), payload);
    } catch (error) {
      // Nobody got it, this instance included. The others are told now if Redis still answers, else once it does again.
      this.gapNoticeOwed = true;
      this.reportGap();
      this.sendGapNotice();
      throw error;
    }
    this.sendGapNotice();
  }

  /**
   * Calls `listener` whenever messages may have been lost for this instance's subscribers: a
   * publish failed (here, or on another instance, reported once Redis answers it again), or
   * the subscriber connection came back after a disconnect (called once it is subscribed
   * again, so nothing published after the call is missed). Never called without Redis.
   */
  onGap(listener: () => void): void {
    this.gapListeners.push(listener);
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
    this.gapListeners.length = 0;
    if (this.subscriber) await this.subscriber.quit().catch(() => this.subscriber?.disconnect());
  }

  /** A connection in subscriber mode cannot send other commands: the bus has its own, re-subscribed after reconnects. */
  private connection(): Redis {
    if (!this.subscriber) {
      const subscriber = this.redis!.client.duplicate({ enableOfflineQueue: true, lazyConnect: false, keyPrefix: undefined });
      this.subscriber = subscriber;
      subscriber.on('error', (error: Error) => this.logger.debug(`subscriber: ${error.message}`));
      subscriber.on('message', (channel: string, payload: string) => this.received(channel.slice(this.prefix().length), payload));
      subscriber.on('ready', () => {
        if (this.subscriberWasReady) void this.resubscribed(subscriber);
        this.subscriberWasReady = true;
      });
      subscriber.subscribe(this.redisChannel(GAP_CHANNEL)).catch(() => undefined);
    }
    return this.subscriber;
  }

  /**
   * ioredis re-subscribes on its own as the connection becomes ready; a SUBSCRIBE sent now is
   * answered after those, so once it is, every channel is live again and the gap is closed.
   */
  private async resubscribed(subscriber: Redis): Promise<void> {
    try {
      await subscriber.subscribe(this.redisChannel(GAP_CHANNEL));
    } catch {
      return; // Disconnected again: the next 'ready' reports the gap.
    }
    this.logger.warn('bus subscriber reconnected: messages published meanwhile were lost');
    this.reportGap();
  }

  private received(channel: string, payload: string): void {
    if (channel !== GAP_CHANNEL) return this.deliver(channel, payload);
    if ((JSON.parse(payload) as { from: string }).from !== this.instanceId) this.reportGap();
  }

  private sendGapNotice(): void {
    if (!this.gapNoticeOwed || !this.redis) return;
    this.gapNoticeOwed = false;
    this.redis.client.publish(this.redisChannel(GAP_CHANNEL), JSON.stringify({ from: this.instanceId })).catch(() => {
      this.gapNoticeOwed = true;
    });
  }

  private reportGap(): void {
    for (const listener of this.gapListeners) {
      try {
        listener();
      } catch (error) {
        this.logger.error({ msg: 'gap listener failed', err: error });
      }
    }
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
