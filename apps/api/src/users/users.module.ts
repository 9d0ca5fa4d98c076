import { Module } from '@nestjs/common';
import { AccountService } from './account.service';
import { CredentialsService } from './credentials.service';
import { UserAdminService } from './user-admin.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, CredentialsService, AccountService, UserAdminService],
  exports: [UsersService, CredentialsService, UserAdminService],
})
export class UsersModule {}
