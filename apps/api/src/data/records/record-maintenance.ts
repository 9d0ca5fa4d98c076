import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { DomainEvents } from '@backlot/events';
import { JobQueue } from '@backlot/jobs';
import { CollectionCatalog } from '../collections/collection-catalog';
import { IdempotencyKeys } from './idempotency';
import { RecordCache } from './record-cache';
import { RecordsRepository } from './records.repository';
import { RecordsSystemRepository } from './records-system.repository';

/**
 * Housekeeping the data module owns: a deleted user's records go as each collection says,
 * and the `data.purge-expired` job (cleanup schedule, once per slot across instances)
 * removes trash past its collection's retention and expired idempotency keys.
 */
@Injectable()
export class RecordMaintenance implements OnModuleInit {
  private readonly logger = new Logger('Records');

  constructor(
    private readonly events: DomainEvents,
    private readonly jobs: JobQueue,
    private readonly catalog: CollectionCatalog,
    private readonly records: RecordsRepository,
    private readonly system: RecordsSystemRepository,
    private readonly idempotency: IdempotencyKeys,
    private readonly cache: RecordCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.events.on('user.deleted', ({ userId }) => this.forgetUser(userId));
    this.jobs.define({ name: 'data.purge-expired', handler: () => this.sweep() });
    this.jobs.schedule('data.purge-expired', this.config.jobs.cleanupSchedule);
  }

  /** Removes or anonymizes the user's records in every collection, all or nothing. */
  async forgetUser(userId: string): Promise<void> {
    const collections = await this.catalog.all();
    await this.records.transaction(async (tx) => {
      for (const collection of collections) await this.system.forgetOwner(collection, userId, tx);
    });
    for (const collection of collections) await this.cache.invalidate(collection.id);
  }

  /** Idempotent: a retry after a partial run purges what is left. */
  async sweep(): Promise<{ trash: number; idempotencyKeys: number }> {
    let trash = 0;
    for (const collection of await this.catalog.all()) trash += await this.system.purgeExpiredTrash(collection);
    const idempotencyKeys = await this.idempotency.sweep();
    if (trash + idempotencyKeys > 0) this.logger.log({ msg: 'swept expired data', trash, idempotencyKeys });
    return { trash, idempotencyKeys };
  }
}
