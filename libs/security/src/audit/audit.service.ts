import { Injectable, Logger } from '@nestjs/common';
import { decodeTimeCursor, type TimePage, timePage, ValidationFailed } from '@backlot/http';
import { AuditRepository } from './audit.repository';
import type { AuditEntry, AuditEventRecord, AuditFilter, AuditKey, AuditOutcome } from './audit.types';

export type AuditPage = TimePage<AuditEventRecord>;

/** Events per query of an export or a purge: bounded memory, short statements. */
const BATCH = 500;

/** An event written before its action runs; `finish` stores how the action ended. */
export interface StartedAuditEvent {
  finish(outcome: Exclude<AuditOutcome, 'started'>, details?: Record<string, unknown>): Promise<void>;
}

/**
 * Records security-relevant events (sign-ins, token reuse, lockouts, key and session
 * changes …) in the audit_events table and as a structured log line. `record` never fails
 * the request that triggered it (a lost row is logged as an error); `begin` is for actions
 * that must not run unaudited (admin calls): it fails when the event cannot be stored.
 * Admins read the log page by page or as a streamed export; retention purges old events.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(private readonly repository: AuditRepository) {}

  async record(entry: AuditEntry): Promise<void> {
    this.log(entry);
    try {
      await this.repository.insert(entry);
    } catch (error) {
      this.logger.error({ msg: 'audit event not stored', action: entry.action, err: error });
    }
  }

  /**
   * Stores the event as `started` before its action runs, and rejects when it cannot be stored:
   * the caller must then not run the action (fail closed). The outcome replaces `started` later;
   * if that update is lost, the event stays `started` and the log line says how it ended.
   */
  async begin(entry: Omit<AuditEntry, 'outcome'>): Promise<StartedAuditEvent> {
    const id = await this.repository.insert({ ...entry, outcome: 'started' });
    return {
      finish: async (outcome, details) => {
        this.log({ ...entry, outcome });
        try {
          await this.repository.finish(id, outcome, details);
        } catch (error) {
          this.logger.error({ msg: 'audit outcome not stored', action: entry.action, auditId: id, outcome, err: error });
        }
      },
    };
  }

  listByActor(actorId: string, limit = 1_000) {
    return this.repository.listByActor(actorId, limit);
  }

  anonymizeActor(actorId: string): Promise<void> {
    return this.repository.anonymizeActor(actorId);
  }

  /** One page, newest first; `count` adds the number of matching events. */
  async query(filter: AuditFilter, page: { cursor?: string; limit: number; count?: boolean }): Promise<AuditPage> {
    checkRange(filter);
    const after = page.cursor === undefined ? null : decodeTimeCursor(page.cursor);
    const [rows, total] = await Promise.all([
      this.repository.page(filter, after, page.limit + 1),
      page.count ? this.repository.count(filter) : Promise.resolve(undefined),
    ]);
    return timePage(rows, { limit: page.limit, total, key: keyOf, view: (event) => event });
  }

  /** The most recent matching event, if any. */
  async latest(filter: AuditFilter): Promise<AuditEventRecord | undefined> {
    return (await this.repository.page(filter, null, 1))[0];
  }

  /**
   * Every matching event, newest first, in batches read one query at a time as the consumer
   * asks for them. The filter is checked and the first batch read before this resolves, so
   * bad input is still an error response rather than a broken download.
   */
  async export(filter: AuditFilter): Promise<AsyncIterable<AuditEventRecord[]>> {
    checkRange(filter);
    const first = await this.repository.page(filter, null, BATCH);
    const repository = this.repository;
    return (async function* () {
      for (let rows = first; rows.length > 0; rows = rows.length < BATCH ? [] : await repository.page(filter, keyOf(rows.at(-1)!), BATCH))
        yield rows;
    })();
  }

  /** Deletes events older than `cutoff`, batch by batch; stops between batches when `signal` aborts. Returns how many went. */
  async purgeBefore(cutoff: Date, signal?: AbortSignal): Promise<number> {
    let deleted = 0;
    for (;;) {
      const count = await this.repository.purgeBefore(cutoff, BATCH);
      deleted += count;
      if (count < BATCH || signal?.aborted) return deleted;
    }
  }

  private log(entry: AuditEntry): void {
    this.logger.log({
      msg: `${entry.action} ${entry.outcome}`,
      audit: {
        action: entry.action,
        outcome: entry.outcome,
        actor: entry.actor,
        target: entry.target,
        requestId: entry.request?.requestId,
      },
    });
  }
}

function checkRange(filter: AuditFilter): void {
  if (filter.from && filter.to && filter.from > filter.to)
    throw new ValidationFailed([{ path: 'from', code: 'range', message: 'from must not be later than to' }]);
}

function keyOf(event: AuditEventRecord): AuditKey {
  return { at: event.at, id: event.id };
}
