import { Module } from '@nestjs/common';
import { AccessModule } from './access/access.module';
import { CollectionsModule } from './collections/collections.module';
import { FilesModule } from './files/files.module';
import { ResumableUploadsModule } from './files/resumable-uploads.module';
import { RealtimeModule } from './realtime/realtime.module';
import { RecordsModule } from './records/records.module';
import { ReportsModule } from './reports/reports.module';
import { TransferModule } from './transfer/transfer.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/**
 * The data domain: runtime collections and their records, and everything built on them. Each
 * concern is its own module with explicit exports; the filter language (query/) is plain
 * functions shared by them, with no providers of its own. What other domains may use is
 * re-exported here: the collection catalog and OpenAPI extension, record counts, webhooks.
 */
@Module({
  imports: [
    AccessModule,
    CollectionsModule,
    RecordsModule,
    FilesModule,
    RealtimeModule,
    WebhooksModule,
    TransferModule,
    ReportsModule,
    ResumableUploadsModule,
  ],
  exports: [CollectionsModule, RecordsModule, WebhooksModule],
})
export class DataModule {}
