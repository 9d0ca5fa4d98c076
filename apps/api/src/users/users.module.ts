import { Module } from '@nestjs/common';
import { AccountService } from './account.service';
import { CredentialsService } from './credentials.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, CredentialsService, AccountService],
  exports: [UsersService, CredentialsService],
})
export class UsersModule {}
