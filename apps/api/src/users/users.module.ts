import { Module } from '@nestjs/common';
import { AccountService } from './account.service';
import { CredentialsService } from './credentials.service';
import { UserModerationService } from './user-moderation.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, CredentialsService, AccountService, UserModerationService],
  exports: [UsersService, CredentialsService, UserModerationService],
})
export class UsersModule {}
