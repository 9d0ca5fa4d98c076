import { Injectable } from '@nestjs/common';
import { Prisma, PrismaService } from '@backlot/database';
import { v7 as uuidv7 } from 'uuid';
import type { AuditEntry } from './audit.types';

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

  /** Keeps a deleted user's events (the trail stays whole) but drops what identifies them. */
  async anonymizeActor(actorId: string): Promise<void> {
    await this.prisma.auditEvent.updateMany({ where: { actorId }, data: { ip: null, userAgent: null } });
    await this.prisma.auditEvent.updateMany({ where: { targetType: 'user', targetId: actorId }, data: { ip: null, userAgent: null } });
  }
}
