import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { JobQueue } from '@backlot/jobs';
import { STORAGE, type Storage } from '@backlot/storage';
import { FileUploads } from './file-uploads';
import { StoredFilesRepository } from './stored-files.repository';

/** Rows handled per round: a sweep after a large purge goes on in bounded steps. */
const BATCH = 500;

/**
 * The `files.sweep` job (cleanup schedule, once per slot across instances): deletes the bytes,
 * thumbnails and rows of files nothing uses (see StoredFilesRepository.claimGarbage), then
 * what puts killed mid-stream left in storage (partial files, multipart uploads) that no row
 * tracks, once past the same grace period. It is idempotent: a file whose bytes cannot be
 * deleted now stays `deleting` and is retried.
 */
@Injectable()
export class FileSweeper implements OnModuleInit {
  private readonly logger = new Logger('Files');

  constructor(
    private readonly jobs: JobQueue,
    private readonly stored: StoredFilesRepository,
    private readonly uploads: FileUploads,
    @Inject(STORAGE) private readonly storage: Storage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.jobs.define({ name: 'files.sweep', handler: () => this.sweep() });
    this.jobs.schedule('files.sweep', this.config.jobs.cleanupSchedule);
  }

  async sweep(): Promise<{ files: number; bytes: number; unfinished: number }> {
    const graceSeconds = this.config.files.orphanGraceSeconds;
    let files = 0;
    let bytes = 0;
    for (;;) {
      const garbage = await this.stored.claimGarbage(graceSeconds, BATCH);
      if (garbage.length === 0) break;
      await this.uploads.discard(garbage.map((file) => file.key));
      const left = await this.stored.stillThere(garbage.map((file) => file.key));
      files += garbage.length - left;
      bytes += garbage.reduce((sum, file) => sum + file.size, 0);
      // What could not be deleted now waits for the next run instead of looping here.
      if (left > 0 || garbage.length < BATCH) break;
    }
    const unfinished = await this.storage.sweepUnfinished(new Date(Date.now() - graceSeconds * 1000));
    if (files > 0 || unfinished > 0) this.logger.log({ msg: 'swept unused files', files, bytes, unfinished });
    return { files, bytes, unfinished };
  }
}
