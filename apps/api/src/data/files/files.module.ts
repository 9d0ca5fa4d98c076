import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { CollectionsModule } from '../collections/collections.module';
import { RecordsModule } from '../records/records.module';
import { FileDownloads } from './file-downloads';
import { FileStoreModule } from './file-store.module';
import { FileSweeper } from './file-sweeper';
import { FileTokens } from './file-tokens';
import { FilesController } from './files.controller';
import { Thumbnails } from './thumbnails';

/**
 * Files of records: downloads under the view rule (Range, ETag, thumbnails), file tokens for
 * protected files, and the sweep that removes what no record uses. Uploads happen in the
 * record writes (FileStoreModule, imported by records).
 */
@Module({
  imports: [AccessModule, CollectionsModule, RecordsModule, FileStoreModule],
  controllers: [FilesController],
  providers: [FileDownloads, FileTokens, Thumbnails, FileSweeper],
  exports: [FileSweeper],
})
export class FilesModule {}
