import { Injectable } from '@nestjs/common';
import { escapeLike, newId, Prisma, PrismaService, storableText } from '@backlot/database';
import type { AuditEntry, AuditEventRecord, AuditFilter, AuditKey } from './audit.types';

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores one event and returns its id. Every string is made storable first, cut to its
   * column (a NUL, a lone surrogate or an over-long value from a caller's query, path or
   * header would otherwise make PostgreSQL refuse the whole row, and the event would be lost).
   */
  async insert(entry: AuditEntry): Promise<string> {
    const id = newId();
    await this.prisma.auditEvent.create({
      data: {
        id,
        actorType: entry.actor.type,
        actorId: entry.actor.id ?? null,
        action: clean(entry.action, 64),
        targetType: nullable(entry.target?.type, 32),
        targetId: nullable(entry.target?.id, 254),
        outcome: entry.outcome,
        ip: nullable(entry.request?.ip, 64),
        userAgent: nullable(entry.request?.userAgent, 512),
        requestId: nullable(entry.request?.requestId, 128),
        details: entry.details ? (cleanJson(entry.details) as Prisma.InputJsonValue) : Prisma.DbNull,
      },
    });
    return id;
  }

  /** Replaces a `started` event's outcome once its action has ended (details are merged in). */
  async finish(id: string, outcome: AuditEntry['outcome'], details?: Record<string, unknown>): Promise<void> {
    if (!details) {
      await this.prisma.auditEvent.update({ where: { id }, data: { outcome } });
      return;
    }
    await this.prisma.$executeRaw`
      UPDATE audit_events SET outcome = ${outcome}, details = coalesce(details, '{}'::jsonb) || ${JSON.stringify(cleanJson(details))}::jsonb
       WHERE id = ${id}::uuid`;
  }

  async listByActor(actorId: string, limit: number) {
    return this.prisma.auditEvent.findMany({ where: { actorId }, orderBy: { at: 'desc' }, take: limit });
  }

  /** Newest first, keyset on (at, id): the indexes on (at), (actor_id, at), (action, at) and (target_type, target_id, at) serve it. */
  page(filter: AuditFilter, after: AuditKey | null, take: number): Promise<AuditEventRecord[]> {
    const where: Prisma.AuditEventWhereInput = { AND: [whereOf(filter), after ? afterKey(after) : {}] };
    return this.prisma.auditEvent.findMany({ where, orderBy: [{ at: 'desc' }, { id: 'desc' }], take });
  }

  count(filter: AuditFilter): Promise<number> {
    return this.prisma.auditEvent.count({ where: whereOf(filter) });
  }

  /** Deletes up to `limit` of the oldest events before `cutoff`; short statements, so the embedded database is never held long. */
  purgeBefore(cutoff: Date, limit: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ${cutoff} ORDER BY at LIMIT ${limit})`;
  }

  /** Keeps a deleted user's events (the trail stays whole) but drops what identifies them. */
  async anonymizeActor(actorId: string): Promise<void> {
    await this.prisma.auditEvent.updateMany({ where: { actorId }, data: { ip: null, userAgent: null } });
    await this.prisma.auditEvent.updateMany({ where: { targetType: 'user', targetId: actorId }, data: { ip: null, userAgent: null } });
  }
}

function clean(text: string, maxLength: number): string {
  return storableText(text, maxLength);
}

function nullable(text: string | null | undefined, maxLength: number): string | null {
  return typeof text === 'string' ? clean(text, maxLength) : null;
}

/** A JSON value whose strings and keys PostgreSQL's jsonb accepts, at most 8 levels deep (details are flat by design). */
function cleanJson(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return clean(value, 2_048);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 8) return '[too deep]';
  if (Array.isArray(value)) return value.slice(0, 100).map((item) => cleanJson(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [clean(key, 128), cleanJson(item, depth + 1)]));
}

function whereOf(filter: AuditFilter): Prisma.AuditEventWhereInput {
  const action = filter.action?.endsWith('*') ? { startsWith: escapeLike(filter.action.slice(0, -1)) } : filter.action;
  return {
    actorId: filter.actorId,
    action,
    targetType: filter.targetType,
    targetId: filter.targetId,
    outcome: filter.outcome,
    ...((filter.from || filter.to) && { at: { gte: filter.from, lte: filter.to } }),
  };
}

function afterKey(after: AuditKey): Prisma.AuditEventWhereInput {
  return { OR: [{ at: { lt: after.at } }, { at: after.at, id: { lt: after.id } }] };
}
