import { Inject, Injectable, Logger } from '@nestjs/common';
import { CacheService } from '@backlot/cache';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { JobQueue } from '@backlot/jobs';
import { RecordsService } from '../../data/records/records.service';
import { UsersService } from '../../users/users.service';
import { AdminStatsRepository } from './admin-stats.repository';
import { CacheStatsDto, type StatsDto } from './dto/stats.dto';

/** One picture of the deployment: a handful of cheap queries, run side by side. */
@Injectable()
export class AdminStatsService {
  private readonly logger = new Logger('AdminStats');
  private readonly startedAt = new Date();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: AdminStatsRepository,
    private readonly users: UsersService,
    private readonly records: RecordsService,
    private readonly cache: CacheService,
    private readonly jobs: JobQueue,
  ) {}

  async stats(): Promise<StatsDto> {
    const [sizeBytes, users, collections, cache, jobs] = await Promise.all([
      this.databaseSize(),
      this.users.counts(),
      this.records.countsByCollection(),
      this.cache.stats(),
      this.jobs.stats(),
    ]);
    return {
      version: this.config.version,
      uptimeSeconds: Math.floor((Date.now() - this.startedAt.getTime()) / 1000),
      startedAt: this.startedAt.toISOString(),
      database: { kind: this.database.databaseKind, sizeBytes },
      users,
      collections: { total: collections.length, records: collections },
      cache: CacheStatsDto.from(cache),
      jobs,
    };
  }

  /** PGlite answers pg_database_size too; a server that refuses it (permissions) leaves the size unknown. */
  private async databaseSize(): Promise<number | null> {
    try {
      return await this.database.databaseSize();
    } catch (error) {
      this.logger.warn(`database size unavailable: ${(error as Error).message}`);
      return null;
    }
  }
}
