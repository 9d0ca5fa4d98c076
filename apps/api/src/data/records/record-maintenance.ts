import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { DomainEvents } from '@backlot/events';
import { CollectionCatalog } from '../collections/collection-catalog';
import { IdempotencyKeys } from './idempotency';
import { RecordCache } from './record-cache';
import { RecordsRepository } from './records.repository';

/**
 * Housekeeping the data module owns: a deleted user's records go as each collection says,
 * and expired trash and idempotency keys are swept periodically. (The sweep is idempotent,
 * so running it on several instances is harmless; a scheduler can take it over later.)
 */
@Injectable()
export class RecordMaintenance implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Records');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly events: DomainEvents,
    private readonly catalog: CollectionCatalog,
    private readonly records: RecordsRepository,
    private readonly idempotency: IdempotencyKeys,
    private readonly cache: RecordCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.events.on('user.deleted', ({ userId }) => this.forgetUser(userId));
    this.timer = setInterval(() => void this.sweep(), this.config.data.sweepIntervalSeconds * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Removes or anonymizes the user's records in every collection, all or nothing. */
  async forgetUser(userId: string): Promise<void> {
    const collections = await this.catalog.all();
    await this.records.transaction(async (tx) => {
      for (const collection of collections) await this.records.forgetOwner(collection, userId, tx);
    });
    for (const collection of collections) await this.cache.invalidate(collection);
  }

  async sweep(): Promise<{ trash: number; idempotencyKeys: number }> {
    let trash = 0;
    try {
      for (const collection of await this.catalog.all()) trash += await this.records.purgeExpiredTrash(collection);
      const idempotencyKeys = await this.idempotency.sweep();
      if (trash + idempotencyKeys > 0) this.logger.log({ msg: 'swept expired data', trash, idempotencyKeys });
      return { trash, idempotencyKeys };
    } catch (error) {
      this.logger.warn({ msg: 'sweep failed; retrying at the next interval', error: (error as Error).message });
      return { trash, idempotencyKeys: 0 };
    }
  }
}
