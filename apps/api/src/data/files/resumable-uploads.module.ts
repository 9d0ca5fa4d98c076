import { Module } from '@nestjs/common';
import { CollectionsModule } from '../collections/collections.module';
import { RecordsModule } from '../records/records.module';
import { FileStoreModule } from './file-store.module';
import { ResumableBodyParser } from './resumable-body-parser';
import { ResumableUploads } from './resumable-uploads';
import { ResumableUploadsController } from './resumable-uploads.controller';

/** Resumable uploads (tus) into records' file fields; builds on records and the file store like the other file routes. */
@Module({
  imports: [CollectionsModule, RecordsModule, FileStoreModule],
  controllers: [ResumableUploadsController],
  providers: [ResumableUploads, ResumableBodyParser],
})
export class ResumableUploadsModule {}
