import { Module } from '@nestjs/common';
import { UsersModule } from '../../users/users.module';
import { AccessModule } from '../access/access.module';
import { CollectionsModule } from '../collections/collections.module';
import { FileStoreModule } from '../files/file-store.module';
import { IdempotencyKeys } from './idempotency';
import { IdempotencyRepository } from './idempotency.repository';
import { RecordBatchService } from './record-batch.service';
import { RecordCache } from './record-cache';
import { RecordChanges } from './record-changes';
import { RecordHistoryController } from './record-history.controller';
import { RecordHistoryService } from './record-history.service';
import { RecordInput } from './record-input';
import { RecordMaintenance } from './record-maintenance';
import { RecordQueriesRepository } from './record-queries.repository';
import { RecordPresenter } from './record-view';
import { RecordsController } from './records.controller';
import { RecordsRepository } from './records.repository';
import { RecordsSystemRepository } from './records-system.repository';
import { RecordsService } from './records.service';
import { ListExplainController } from './list-explain.controller';
import { ListExplainService } from './list-explain.service';
import { RulePreviewController } from './rule-preview.controller';
import { RulePreviewService } from './rule-preview.service';

/**
 * Records: CRUD, history and trash, batches, the record cache and change events. The records
 * repositories are exported to the data domain's other modules (transfer, reports, realtime),
 * which read and write records under the same scope; nothing outside data/ imports this module
 * but through DataModule's exports.
 */
@Module({
  imports: [AccessModule, CollectionsModule, UsersModule, FileStoreModule],
  controllers: [RecordsController, RecordHistoryController, RulePreviewController, ListExplainController],
  providers: [
    RecordsRepository,
    RecordQueriesRepository,
    RecordsSystemRepository,
    RecordChanges,
    RecordCache,
    RecordInput,
    RecordPresenter,
    RecordsService,
    RecordHistoryService,
    RecordBatchService,
    IdempotencyRepository,
    IdempotencyKeys,
    RecordMaintenance,
    RulePreviewService,
    ListExplainService,
  ],
  exports: [RecordsService, RecordsRepository, RecordCache, RecordQueriesRepository, RecordChanges, RecordInput, RecordPresenter],
})
export class RecordsModule {}
