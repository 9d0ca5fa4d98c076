import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { CollectionsModule } from '../collections/collections.module';
import { RecordsModule } from '../records/records.module';
import { RealtimeController } from './realtime.controller';
import { RealtimeHub } from './realtime-hub';
import { RealtimeTickets } from './realtime-tickets';
import { RecordVisibility } from './record-visibility';
import { StreamCredentials } from './stream-credentials';

/** Record changes as Server-Sent Events, each reader held to their rules and filters. */
@Module({
  imports: [AccessModule, CollectionsModule, RecordsModule],
  controllers: [RealtimeController],
  providers: [RecordVisibility, RealtimeTickets, StreamCredentials, RealtimeHub],
})
export class RealtimeModule {}
