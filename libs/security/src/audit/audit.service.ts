import { Injectable, Logger } from '@nestjs/common';
import { AuditRepository } from './audit.repository';
import type { AuditEntry } from './audit.types';

/**
 * Records security-relevant events (sign-ins, token reuse, lockouts, key and session
 * changes …) in the audit_events table and as a structured log line. Recording never
 * fails the request that triggered it: a lost audit row is logged as an error instead.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(private readonly repository: AuditRepository) {}

  async record(entry: AuditEntry): Promise<void> {
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
    try {
      await this.repository.insert(entry);
    } catch (error) {
      this.logger.error({ msg: 'audit event not stored', action: entry.action, err: error });
    }
  }

  listByActor(actorId: string, limit = 1_000) {
    return this.repository.listByActor(actorId, limit);
  }

  anonymizeActor(actorId: string): Promise<void> {
    return this.repository.anonymizeActor(actorId);
  }
}
