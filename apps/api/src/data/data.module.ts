import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { UsersModule } from '../users/users.module';
import { CollectionCatalog } from './collections/collection-catalog';
import { CollectionsController } from './collections/collections.controller';
import { CollectionsRepository } from './collections/collections.repository';
import { CollectionsService } from './collections/collections.service';
import { FieldIndexSync } from './collections/field-index-sync';
import { CollectionOpenApi } from './openapi/collection-openapi';
import { IdempotencyKeys } from './records/idempotency';
import { RecordBatchService } from './records/record-batch.service';
import { RecordCache } from './records/record-cache';
import { RecordChanges } from './records/record-changes';
import { RecordHistoryController } from './records/record-history.controller';
import { RecordHistoryService } from './records/record-history.service';
import { RecordInput } from './records/record-input';
import { RecordMaintenance } from './records/record-maintenance';
import { RecordPresenter } from './records/record-view';
import { RecordsController } from './records/records.controller';
import { RecordsRepository } from './records/records.repository';
import { RecordsService } from './records/records.service';
import { RealtimeController } from './realtime/realtime.controller';
import { RealtimeAccess } from './realtime/realtime-access';
import { RealtimeHub } from './realtime/realtime-hub';
import { RealtimeTickets } from './realtime/realtime-tickets';
import { RecordVisibility } from './realtime/record-visibility';
import { ExportController } from './transfer/export.controller';
import { ExportService } from './transfer/export.service';
import { ImportBodyParser } from './transfer/import-body-parser';
import { ImportController } from './transfer/import.controller';
import { ImportService } from './transfer/import.service';
import { AggregateController } from './reports/aggregate.controller';
import { AggregateService } from './reports/aggregate.service';
import { AddressGuard } from './webhooks/address-guard';
import { WebhookDeliveryJob } from './webhooks/webhook-delivery.job';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher';
import { WebhooksRepository } from './webhooks/webhooks.repository';
import { WebhooksService } from './webhooks/webhooks.service';

/** Runtime collections and their records: schemas, rules, queries, history, batches. */
@Module({
  imports: [UsersModule],
  controllers: [
    CollectionsController,
    RecordsController,
    RecordHistoryController,
    AggregateController,
    ExportController,
    ImportController,
    RealtimeController,
  ],
  providers: [
    CollectionsRepository,
    CollectionCatalog,
    CollectionsService,
    FieldIndexSync,
    RecordsRepository,
    RecordChanges,
    RecordCache,
    RecordInput,
    RecordPresenter,
    RecordsService,
    RecordHistoryService,
    RecordBatchService,
    IdempotencyKeys,
    RecordMaintenance,
    AggregateService,
    CollectionOpenApi,
    ExportService,
    ImportService,
    ImportBodyParser,
    RecordVisibility,
    RealtimeTickets,
    RealtimeAccess,
    RealtimeHub,
    WebhooksRepository,
    { provide: AddressGuard, useFactory: (config: AppConfig) => new AddressGuard(config.webhooks.allowedHosts), inject: [APP_CONFIG] },
    WebhookDispatcher,
    WebhookDeliveryJob,
    WebhooksService,
  ],
  exports: [CollectionCatalog, RecordsService, CollectionOpenApi, RecordChanges, WebhooksService],
})
export class DataModule {}
