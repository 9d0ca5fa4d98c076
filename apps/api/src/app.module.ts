import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { CacheModule } from '@backlot/cache';
import { type AppConfig, ConfigModule } from '@backlot/config';
import { DatabaseModule } from '@backlot/database';
import { ObservabilityModule } from '@backlot/observability';
import { RateLimitModule } from '@backlot/security';

/** Composes the shared libs and the domain modules into the one deployable app. */
@Module({})
export class AppModule {
  static register(config: AppConfig, extra: NonNullable<ModuleMetadata['imports']> = []): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule, DatabaseModule, CacheModule, RateLimitModule, ...extra],
    };
  }
}
