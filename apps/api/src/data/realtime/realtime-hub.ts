import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type RealtimeConfig } from '@backlot/config';
import { ServiceUnavailable, TooManyRequests } from '@backlot/http';
import { MetricsService } from '@backlot/observability';
import { PrincipalChanges } from '@backlot/security';
import type { ServerResponse } from 'node:http';
import { Gauge } from 'prom-client';
import { CollectionCatalog } from '../collections/collection-catalog';
import { type RecordChangeEvent, RecordChanges } from '../records/record-changes';
import { RecordPresenter } from '../records/record-view';
import { StreamCredentials } from './stream-credentials';
import { RecordVisibility } from './record-visibility';
import { ReplayBuffer, sizeOfChange } from './replay-buffer';
import { type CloseReason, type ConnectionOwner, SseConnection, type Subscription } from './sse-connection';

/** What a client should wait before reconnecting (the `retry:` field). */
export const RETRY_MS = 2_000;

/**
 * Change events waiting for delivery on this instance, by count and by the bytes of their
 * rows (records may be megabytes each). Past either the hub is too far behind to catch up
 * usefully, and the waiting rows cost memory: they are dropped and every stream is told to
 * resync.
 */
export const MAX_QUEUED_EVENTS = 10_000;
export const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

const resync = (reason: string) => JSON.stringify({ reason: `${reason}; reload the data, then follow live events.` });
const RESYNC = {
  notHeld: resync('The events after Last-Event-ID are no longer held'),
  lost: resync('Some changes may not have reached this server'),
  replaced: resync('The data was replaced by a restore from a backup'),
  behind: resync('This server fell too far behind and dropped the changes it had not yet delivered'),
  unchecked: resync('A change could not be checked against your access rules and was not sent'),
};

/** Work the hub does one item at a time, in arrival order. */
type Job =
  | { kind: 'event'; event: RecordChangeEvent; bytes: number }
  /** A new stream: its replay, then registration for live events. `resync`: events it needed were dropped. */
  | { kind: 'open'; connection: SseConnection; lastEventId?: string; resync?: boolean }
  /** A user's access changed: their streams are re-checked before any later change is delivered. */
  | { kind: 'access'; userId: string }
  /** The bus may have lost changes, or a restore replaced the data: what was held is no longer a complete history. */
  | { kind: 'gap'; reason: string };

/**
 * This instance's open event streams and the delivery of record changes to them. Every
 * change (from any instance, through RecordChanges.onAny) is handled in arrival order, one
 * at a time: it enters the replay buffer, then goes to each local connection subscribed to
 * its collection that may see it, as that connection's reader would get it over GET. The
 * frame is built once per change (the view does not depend on the reader: hidden fields are
 * stripped for everyone). A resuming connection gets its replay from the same queue, so
 * nothing is sent twice or out of order; access changes and bus gaps take their turn in it
 * too, so a change that arrives after them is judged by their outcome.
 */
@Injectable()
export class RealtimeHub implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Realtime');
  private readonly config: RealtimeConfig;
  private readonly byCollection = new Map<string, Set<SseConnection>>();
  private readonly all = new Set<SseConnection>();
  private readonly perOwner = new Map<string, number>();
  private reserved = 0;
  private readonly buffer: ReplayBuffer;
  private jobs: Job[] = [];
  private queuedEvents = 0;
  private queuedBytes = 0;
  private draining = false;
  private heartbeat?: NodeJS.Timeout;
  private closing = false;
  private nextId = 1;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly changes: RecordChanges,
    private readonly principalChanges: PrincipalChanges,
    private readonly catalog: CollectionCatalog,
    private readonly presenter: RecordPresenter,
    private readonly visibility: RecordVisibility,
    private readonly credentials: StreamCredentials,
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
    this.changes.onAny((event) => this.enqueue({ kind: 'event', event, bytes: sizeOfChange(event) }));
    this.changes.onMissed(() => this.enqueue({ kind: 'gap', reason: RESYNC.lost }));
    this.changes.onReplaced(() => this.enqueue({ kind: 'gap', reason: RESYNC.replaced }));
    this.principalChanges.onChange((userId) => this.enqueue({ kind: 'access', userId }));
    this.heartbeat = setInterval(() => void this.beat(), this.config.heartbeatSeconds * 1000);
    this.heartbeat.unref();
  }

  /** Open streams end with a `shutdown` event, so clients reconnect elsewhere and close does not wait on them. */
  onModuleDestroy(): void {
    this.closing = true;
    clearInterval(this.heartbeat);
    this.jobs = [];
    const data = JSON.stringify({ reason: 'The server is shutting down; reconnect with Last-Event-ID.' });
    for (const connection of [...this.all]) connection.end('shutdown', data);
  }

  get heartbeatSeconds(): number {
    return this.config.heartbeatSeconds;
  }

  /**
   * Counts a connection against its owner's limit and this instance's, or refuses it before
   * anything is streamed: 429 past the owner's, 503 past the instance's (another instance may
   * have room).
   */
  reserve(limitKey: string): () => void {
    if (this.closing) throw new ServiceUnavailable('The server is shutting down; reconnect elsewhere.');
    if (this.reserved >= this.config.maxConnections)
      throw new ServiceUnavailable('This server holds as many realtime connections as it may; try again later.', {
        retryAfter: this.config.heartbeatSeconds,
      });
    const open = this.perOwner.get(limitKey) ?? 0;
    if (open >= this.config.maxConnectionsPerUser)
      throw new TooManyRequests(
        this.config.heartbeatSeconds,
        `At most ${this.config.maxConnectionsPerUser} realtime connections per user on one server; close one first.`,
      );
    this.perOwner.set(limitKey, open + 1);
    this.reserved += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved -= 1;
      const left = (this.perOwner.get(limitKey) ?? 1) - 1;
      if (left > 0) this.perOwner.set(limitKey, left);
      else this.perOwner.delete(limitKey);
    };
  }

  /**
   * Starts streaming on `raw` (headers already written): replays what followed `lastEventId`
   * (or says `resync` when it is no longer held), then delivers live changes. `release` is
   * called once when the stream ends, however it ends (at once if the client is already gone).
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
    if (!connection.closed) this.enqueue({ kind: 'open', connection, lastEventId });
  }

  /** How many streams are open here (tests, stats). */
  get size(): number {
    return this.all.size;
  }

  private enqueue(job: Job): void {
    if (this.closing) return;
    if (job.kind === 'event') {
      if (this.queuedEvents >= MAX_QUEUED_EVENTS || this.queuedBytes + job.bytes > MAX_QUEUED_BYTES) return this.overflow();
      this.queuedEvents += 1;
      this.queuedBytes += job.bytes;
    }
    this.jobs.push(job);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    for (let job = this.jobs.shift(); job; job = this.jobs.shift()) {
      if (job.kind === 'event') {
        this.queuedEvents -= 1;
        this.queuedBytes -= job.bytes;
      }
      try {
        await this.run(job);
      } catch (error) {
        this.logger.error({ msg: 'realtime job failed', kind: job.kind, err: error });
      }
    }
    this.draining = false;
  }

  private async run(job: Job): Promise<void> {
    switch (job.kind) {
      case 'event':
        this.buffer.push(job.event, job.bytes);
        return this.dispatch(job.event);
      case 'open':
        return this.start(job.connection, job.lastEventId, job.resync === true);
      case 'access':
        return this.credentials.recheck([...this.all].filter((c) => c.owner.principal?.userId === job.userId));
      case 'gap':
        this.resyncAll(job.reason);
        // Sessions may have ended unannounced (lost notices, or a restore); this catch-up need not hold up delivery.
        void this.credentials.recheck([...this.all]);
        return;
    }
  }

  /** Too far behind: the waiting changes are dropped; streams, registered or about to be, are told to resync. */
  private overflow(): void {
    this.logger.warn({
      msg: 'realtime delivery fell behind; queued changes dropped and every stream sent resync',
      dropped: this.queuedEvents,
    });
    this.jobs = this.jobs.filter((job) => job.kind !== 'event');
    for (const job of this.jobs) if (job.kind === 'open') job.resync = true;
    this.queuedEvents = 0;
    this.queuedBytes = 0;
    this.resyncAll(RESYNC.behind);
  }

  /** The replay buffer no longer holds a complete history: resume points go, and every open stream reloads. */
  private resyncAll(data: string): void {
    this.buffer.clear();
    for (const connection of this.all) connection.send('resync', data);
  }

  private async start(connection: SseConnection, lastEventId: string | undefined, mustResync: boolean): Promise<void> {
    if (connection.closed) return;
    const missed = lastEventId ? this.buffer.after(lastEventId) : [];
    if (mustResync || missed === undefined) connection.send('resync', mustResync ? RESYNC.behind : RESYNC.notHeld);
    else for (const event of missed) await this.dispatch(event, [connection]);
    if (connection.closed) return;
    this.all.add(connection);
    for (const name of new Set(connection.subscriptions.map((s) => s.collection))) {
      let set = this.byCollection.get(name);
      if (!set) this.byCollection.set(name, (set = new Set()));
      set.add(connection);
    }
  }

  /**
   * Sends one change to the given connections (live: every connection subscribed to its
   * collection). A connection whose visibility could not be established gets `resync`
   * instead of the record; a failure for the whole event sends `resync` to all of them.
   */
  private async dispatch(event: RecordChangeEvent, only?: SseConnection[]): Promise<void> {
    const targets = (only ?? [...(this.byCollection.get(event.collection) ?? [])]).filter((c) => !c.closed);
    if (targets.length === 0) return;
    try {
      const schema = await this.catalog.find(event.collection);
      if (!schema || schema.id !== event.collectionId) return;
      const audiences = targets.map((c) => ({ principal: c.owner.principal, subscriptions: c.subscriptions }));
      const verdicts = await this.visibility.judge(schema, event.record, audiences);
      const frame = verdicts.includes('send')
        ? `id: ${event.id}\nevent: ${event.action}\ndata: ${JSON.stringify({
            collection: event.collection,
            action: event.action,
            record: this.presenter.view(schema, event.record),
          })}\n\n`
        : '';
      for (const [index, connection] of targets.entries()) {
        if (verdicts[index] === 'send') connection.write(frame);
        else if (verdicts[index] === 'unknown') connection.send('resync', RESYNC.unchecked);
      }
    } catch (error) {
      this.logger.error({ msg: 'realtime delivery failed; its subscribers are sent resync', collection: event.collection, err: error });
      for (const connection of targets) connection.send('resync', RESYNC.unchecked);
    }
  }

  /** Keeps idle streams (and the proxies in front) alive; the periodic re-check of sessions and keys is the backstop of the immediate one. */
  private async beat(): Promise<void> {
    const connections = [...this.all];
    for (const connection of connections) connection.comment('ping');
    await this.credentials.recheck(connections);
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
