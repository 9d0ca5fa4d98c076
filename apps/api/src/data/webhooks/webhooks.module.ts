import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { CollectionsModule } from '../collections/collections.module';
import { RecordsModule } from '../records/records.module';
import { AddressGuard } from './address-guard';
import { WebhookDeliveryJob } from './webhook-delivery.job';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/** Signed webhooks for record and user events, delivered through the job queue (managed from the admin API). */
@Module({
  imports: [CollectionsModule, RecordsModule],
  providers: [
    WebhooksRepository,
    { provide: AddressGuard, useFactory: (config: AppConfig) => new AddressGuard(config.webhooks.allowedHosts), inject: [APP_CONFIG] },
    WebhookDispatcher,
    WebhookDeliveryJob,
    WebhooksService,
  ],
  exports: [WebhooksService],
})
export class WebhooksModule {}
