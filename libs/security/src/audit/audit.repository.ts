import { Injectable } from '@nestjs/common';
import { escapeLike, Prisma, PrismaService } from '@backlot/database';
import { v7 as uuidv7 } from 'uuid';
import type { AuditEntry, AuditEventRecord, AuditFilter, AuditKey } from './audit.types';

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insert(entry: AuditEntry): Promise<void> {
    await this.prisma.auditEvent.create({
      data: {
        id: uuidv7(),
        actorType: entry.actor.type,
        actorId: entry.actor.id ?? null,
        action: entry.action,
        targetType: entry.target?.type ?? null,
        targetId: entry.target?.id ?? null,
        outcome: entry.outcome,
        ip: entry.request?.ip ?? null,
        userAgent: entry.request?.userAgent ?? null,
        requestId: entry.request?.requestId ?? null,
        details: (entry.details as Prisma.InputJsonValue | undefined) ?? Prisma.DbNull,
      },
    });
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
