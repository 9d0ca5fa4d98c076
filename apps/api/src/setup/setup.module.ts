import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
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
  constructor(private readonly http: HttpAdapterHost) {}

  onModuleInit(): void {
    registerSetupPage(this.http.httpAdapter.getInstance());
  }
}
