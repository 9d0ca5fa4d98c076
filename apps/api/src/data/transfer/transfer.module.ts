import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { CollectionsModule } from '../collections/collections.module';
import { RecordsModule } from '../records/records.module';
import { ExportController } from './export.controller';
import { ExportService } from './export.service';
import { ImportBodyParser } from './import-body-parser';
import { ImportController } from './import.controller';
import { ImportService } from './import.service';

/** Records in and out as files: NDJSON and CSV exports and imports. */
@Module({
  imports: [AccessModule, CollectionsModule, RecordsModule],
  controllers: [ExportController, ImportController],
  providers: [ExportService, ImportService, ImportBodyParser],
})
export class TransferModule {}
