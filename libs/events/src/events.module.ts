import { Global, Module } from '@nestjs/common';
import { DomainEvents } from './domain-events';
import { UserDataExport } from './user-data-export';

@Global()
@Module({ providers: [DomainEvents, UserDataExport], exports: [DomainEvents, UserDataExport] })
export class EventsModule {}
