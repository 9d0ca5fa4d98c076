import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsersModule } from '../users/users.module';
import { LocalCliAccess, LocalCliGuard } from './local-cli-access';
import { SetupController } from './setup.controller';
import { registerSetupPage } from './setup-page';
import { SetupService } from './setup.service';
import { SetupTokensRepository } from './setup-tokens.repository';

/** First run (the first admin, through a one-time setup URL) and the CLI's calls to a running server. */
@Module({
  imports: [UsersModule],
  controllers: [SetupController],
  providers: [SetupService, SetupTokensRepository, LocalCliAccess, LocalCliGuard],
  exports: [SetupService, LocalCliAccess],
})
export class SetupModule implements OnModuleInit {
  constructor(
    private readonly http: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The setup URL (/_/setup#token=…) is a page of the console when it is built: the console's
   * first-run form reads the token and signs the new admin in. Without a console build, the
   * standalone page answers there instead.
   */
  onModuleInit(): void {
    if (existsSync(join(this.config.consoleDir, 'index.html'))) return;
    registerSetupPage(this.http.httpAdapter.getInstance());
  }
}
