import { Global, Inject, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { HealthRegistry, MetricsService } from '@backlot/observability';
import { DatabaseConnection } from './connection/database-connection';
import { checkDatabase } from './database.health';
import { registerDatabaseMetrics } from './database.metrics';
import { openDatabase } from './migrations/embedded-preparation';
import { Migrator } from './migrations/migrator';
import { PrismaService } from './prisma.service';

@Global()
@Module({
  providers: [{ provide: DatabaseConnection, inject: [APP_CONFIG], useFactory: openDatabase }, PrismaService],
  exports: [PrismaService, DatabaseConnection],
})
export class DatabaseModule implements OnModuleInit {
  private readonly logger = new Logger('Database');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connection: DatabaseConnection,
    private readonly health: HealthRegistry,
    private readonly metrics: MetricsService,
  ) {}

  /** Runs before any domain module starts (they all import this one), so they see a migrated schema. */
  async onModuleInit(): Promise<void> {
    await this.connection.ready();
    this.logger.log(`Connected to ${this.connection.describe()}`);
    if (this.config.database.migrateOnStart) {
      const applied = await new Migrator(this.connection, this.config.migrationsDir, this.config.schemaPath).apply();
      this.logger.log(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date');
    }
    this.health.register('database', () => checkDatabase(this.connection));
    registerDatabaseMetrics(this.metrics.registry, this.connection);
  }
}
