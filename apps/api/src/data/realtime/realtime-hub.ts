import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { APP_CONFIG, type AppConfig, type RealtimeConfig } from '@backlot/config';
import { ServiceUnavailable, TooManyRequests } from '@backlot/http';
import { MetricsService } from '@backlot/observability';
import { type Principal, PrincipalResolver } from '@backlot/security';
import type { ServerResponse } from 'node:http';
import { Gauge } from 'prom-client';
import { CollectionCatalog } from '../collections/collection-catalog';
import { type RecordChangeEvent, RecordChanges } from '../records/record-changes';
import { RecordPresenter } from '../records/record-view';
import { RecordVisibility } from './record-visibility';
import { ReplayBuffer } from './replay-buffer';
import { type CloseReason, type ConnectionOwner, SseConnection, type Subscription } from './sse-connection';

/** What a client should wait before reconnecting (the `retry:` field). */
export const RETRY_MS = 2_000;

/**
 * This instance's open event streams and the delivery of record changes to them. Every
 * change (from any instance, through RecordChanges.onAny) is handled in arrival order, one
 * at a time: it enters the replay buffer, then goes to each local connection subscribed to
 * its collection that may see it, as that connection's reader would get it over GET. The
 * frame is built once per change (the view does not depend on the reader: hidden fields are
 * stripped for everyone). A resuming connection gets its replay from the same queue, so
 * nothing is sent twice or out of order.
 */
@Injectable()
export class RealtimeHub implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Realtime');
  private readonly config: RealtimeConfig;
  private readonly byCollection = new Map<string, Set<SseConnection>>();
  private readonly all = new Set<SseConnection>();
  private readonly perOwner = new Map<string, number>();
  private readonly buffer: ReplayBuffer;
  private queue: Promise<void> = Promise.resolve();
  private heartbeat?: NodeJS.Timeout;
  private resolver?: PrincipalResolver;
  private closing = false;
  private nextId = 1;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly changes: RecordChanges,
    private readonly catalog: CollectionCatalog,
    private readonly presenter: RecordPresenter,
    private readonly visibility: RecordVisibility,
    private readonly moduleRef: ModuleRef,
    metrics: MetricsService,
  ) {
    this.config = config.realtime;
    this.buffer = new ReplayBuffer(this.config.replaySize, this.config.replayMaxBytes);
    const connections = this.all;
    new Gauge({
      name: 'realtime_connections',
      help: 'Open realtime (SSE) connections on this instance',
      registers: [metrics.registry],
      collect() {
        this.set(connections.size);
      },
    });
  }

  onModuleInit(): void {
    this.changes.onAny((event) => this.enqueue(() => this.dispatch(event)));
    this.heartbeat = setInterval(() => void this.beat(), this.config.heartbeatSeconds * 1000);
    this.heartbeat.unref();
  }

  /** Open streams end with a `shutdown` event, so clients reconnect elsewhere and close does not wait on them. */
  onModuleDestroy(): void {
    this.closing = true;
    clearInterval(this.heartbeat);
    const data = JSON.stringify({ reason: 'The server is shutting down; reconnect with Last-Event-ID.' });
    for (const connection of [...this.all]) connection.end('shutdown', data);
  }

  get heartbeatSeconds(): number {
    return this.config.heartbeatSeconds;
  }

  /** Counts a connection against its owner's limit, or refuses it (429) before anything is streamed. */
  reserve(limitKey: string): () => void {
    if (this.closing) throw new ServiceUnavailable('The server is shutting down; reconnect elsewhere.');
    const open = this.perOwner.get(limitKey) ?? 0;
    if (open >= this.config.maxConnectionsPerUser)
      throw new TooManyRequests(
        this.config.heartbeatSeconds,
        `At most ${this.config.maxConnectionsPerUser} realtime connections per user on one server; close one first.`,
      );
    this.perOwner.set(limitKey, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.perOwner.get(limitKey) ?? 1) - 1;
      if (left > 0) this.perOwner.set(limitKey, left);
      else this.perOwner.delete(limitKey);
    };
  }

  /**
   * Starts streaming on `raw` (headers already written): replays what followed `lastEventId`
   * (or says `resync` when it is no longer held), then delivers live changes.
   */
  open(
    raw: ServerResponse,
    owner: ConnectionOwner,
    subscriptions: Subscription[],
    lastEventId: string | undefined,
    release: () => void,
  ): void {
    const connection = new SseConnection(this.nextId++, raw, owner, subscriptions, this.config.maxBufferBytes, (c, reason) =>
      this.closed(c, reason, release),
    );
    this.enqueue(async () => {
      if (connection.closed) return;
      if (lastEventId) {
        const missed = this.buffer.after(lastEventId);
        if (missed === undefined)
          connection.send(
            'resync',
            JSON.stringify({ reason: 'The events after Last-Event-ID are no longer held; reload the data, then follow live events.' }),
          );
        else for (const event of missed) await this.dispatch(event, [connection]);
      }
      if (connection.closed) return;
      this.all.add(connection);
      for (const name of new Set(subscriptions.map((s) => s.collection))) {
        let set = this.byCollection.get(name);
        if (!set) this.byCollection.set(name, (set = new Set()));
        set.add(connection);
      }
    });
  }

  /** How many streams are open here (tests, stats). */
  get size(): number {
    return this.all.size;
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch((error: unknown) => this.logger.error({ msg: 'realtime delivery failed', err: error }));
  }

  /** Sends one change to the given connections (live: every connection subscribed to its collection). */
  private async dispatch(event: RecordChangeEvent, only?: SseConnection[]): Promise<void> {
    if (!only) this.buffer.push(event);
    const targets = only ?? [...(this.byCollection.get(event.collection) ?? [])];
    if (targets.length === 0) return;
    const schema = await this.catalog.find(event.collection);
    if (!schema || schema.id !== event.collectionId) return;
    const row = event.record;
    let frame: string | undefined;
    for (const connection of targets) {
      if (connection.closed) continue;
      const principal = connection.owner.principal;
      let wanted = false;
      for (const subscription of connection.subscriptions) {
        if (subscription.collection !== event.collection || (subscription.recordId !== null && subscription.recordId !== row.id)) continue;
        const decided = this.visibility.decide(schema, principal, subscription, row);
        wanted = decided ?? (await this.visibility.ask(schema, principal, subscription, row));
        if (wanted) break;
      }
      if (!wanted) continue;
      frame ??= `id: ${event.id}\nevent: ${event.action}\ndata: ${JSON.stringify({
        collection: event.collection,
        action: event.action,
        record: this.presenter.view(schema, row),
      })}\n\n`;
      connection.write(frame);
    }
  }

  /** Keeps idle streams (and the proxies in front) alive, and ends those whose session or key no longer grants access. */
  private async beat(): Promise<void> {
    const connections = [...this.all];
    for (const connection of connections) connection.comment('ping');
    const signedIn = connections.filter((c) => c.owner.principal && !c.closed);
    if (signedIn.length === 0) return;
    this.resolver ??= this.moduleRef.get(PrincipalResolver, { strict: false });
    const checks = new Map<string, Promise<Principal | null>>();
    for (const connection of signedIn) {
      const current = connection.owner.principal!;
      const key = current.kind === 'session' ? `s:${current.sessionId}` : `k:${current.apiKeyId}`;
      let check = checks.get(key);
      if (!check) {
        check = (
          current.kind === 'session'
            ? this.resolver.fromSession(current.userId, current.sessionId)
            : this.resolver.fromApiKey(connection.owner.apiKey ?? '')
        ).catch(() => current);
        checks.set(key, check);
      }
      const fresh = await check;
      if (!fresh || fresh.userId !== current.userId) {
        connection.end(
          'revoked',
          JSON.stringify({ reason: 'The session or API key was revoked, or the account disabled; sign in again.' }),
        );
        continue;
      }
      if (fresh.role !== current.role) {
        connection.owner.principal = fresh;
        // Filters compiled for the old role (hidden fields allowed or not) are compiled again.
        for (const subscription of connection.subscriptions) subscription.compiled = undefined;
      }
    }
  }

  private closed(connection: SseConnection, reason: CloseReason, release: () => void): void {
    release();
    this.all.delete(connection);
    for (const { collection } of connection.subscriptions) {
      const set = this.byCollection.get(collection);
      set?.delete(connection);
      if (set?.size === 0) this.byCollection.delete(collection);
    }
    if (reason !== 'client') this.logger.debug({ msg: 'realtime connection ended', reason });
  }
}
