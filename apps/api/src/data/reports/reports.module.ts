import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { CollectionsModule } from '../collections/collections.module';
import { RecordsModule } from '../records/records.module';
import { AggregateController } from './aggregate.controller';
import { AggregateService } from './aggregate.service';

/** Grouped counts, sums, averages and extremes over the records a caller may list. */
@Module({ imports: [AccessModule, CollectionsModule, RecordsModule], controllers: [AggregateController], providers: [AggregateService] })
export class ReportsModule {}
