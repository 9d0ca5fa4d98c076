import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { CacheModule } from '@backlot/cache';
import { type AppConfig, ConfigModule } from '@backlot/config';
import { DatabaseModule } from '@backlot/database';
import { EventsModule } from '@backlot/events';
import { JobsModule } from '@backlot/jobs';
import { MailModule, MailOutboxModule } from '@backlot/mail';
import { ObservabilityModule } from '@backlot/observability';
import { StorageModule } from '@backlot/storage';
import { RateLimitModule, SecurityModule } from '@backlot/security';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { DataModule } from './data/data.module';
import { SetupModule } from './setup/setup.module';
import { ConsoleModule } from './console/console.module';
import { UsersModule } from './users/users.module';

/** Composes the shared libs and the domain modules into the one deployable app. */
@Module({})
export class AppModule {
  static register(config: AppConfig, extra: NonNullable<ModuleMetadata['imports']> = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule,
        DatabaseModule,
        StorageModule,
        CacheModule,
        // Rate limits run before authentication, so floods are refused before any token work.
        RateLimitModule,
        SecurityModule,
        EventsModule,
        JobsModule,
        MailModule,
        MailOutboxModule,
        UsersModule,
        AuthModule,
        DataModule,
        AdminModule,
        SetupModule,
        ConsoleModule,
        ...extra,
      ],
    };
  }
}
