import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { CollectionCatalog } from './collections/collection-catalog';
import { CollectionsController } from './collections/collections.controller';
import { CollectionsRepository } from './collections/collections.repository';
import { CollectionsService } from './collections/collections.service';
import { IdempotencyKeys } from './records/idempotency';
import { RecordBatchService } from './records/record-batch.service';
import { RecordHistoryController } from './records/record-history.controller';
import { RecordHistoryService } from './records/record-history.service';
import { RecordInput } from './records/record-input';
import { RecordMaintenance } from './records/record-maintenance';
import { RecordPresenter } from './records/record-view';
import { RecordsController } from './records/records.controller';
import { RecordsRepository } from './records/records.repository';
import { RecordsService } from './records/records.service';

/** Runtime collections and their records: schemas, rules, queries, history, batches. */
@Module({
  imports: [UsersModule],
  controllers: [CollectionsController, RecordsController, RecordHistoryController],
  providers: [
    CollectionsRepository,
    CollectionCatalog,
    CollectionsService,
    RecordsRepository,
    RecordInput,
    RecordPresenter,
    RecordsService,
    RecordHistoryService,
    RecordBatchService,
    IdempotencyKeys,
    RecordMaintenance,
  ],
  exports: [CollectionCatalog, RecordsService],
})
export class DataModule {}
