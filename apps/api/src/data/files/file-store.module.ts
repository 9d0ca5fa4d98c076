import { Module } from '@nestjs/common';
import { FileUploads } from './file-uploads';
import { MultipartBodyParser } from './multipart-body-parser';
import { RecordFiles } from './record-files';
import { StoredFilesRepository } from './stored-files.repository';

/**
 * What record writes need of files: uploads checked and stored, their tracking rows, and a
 * write's files worked out (RecordFiles). The records module imports it; downloads, tokens,
 * thumbnails and the sweep are FilesModule's, which builds on records.
 */
@Module({
  providers: [StoredFilesRepository, FileUploads, RecordFiles, MultipartBodyParser],
  exports: [StoredFilesRepository, FileUploads, RecordFiles],
})
export class FileStoreModule {}
