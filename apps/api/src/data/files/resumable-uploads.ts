import { mkdirSync, readdirSync } from 'node:fs';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { FileStore } from '@tus/file-store';
import type { ERRORS, Server, Upload } from '@tus/server';
import { APP_CONFIG, type AppConfig, PRIVATE_DIR_MODE } from '@backlot/config';
import { ServiceUnavailable } from '@backlot/http';
import { JobQueue } from '@backlot/jobs';
import type { Principal } from '@backlot/security';
import { CollectionCatalog } from '../collections/collection-catalog';
import { etagOf } from '../records/record-http';
import { RecordsService } from '../records/records.service';
import { FileUploads } from './file-uploads';
import { RESUMABLE_UPLOADS_PATH, uploadTarget, type UploadTarget } from './resumable-target';

/** The caller of one tus request, and what went wrong outside the protocol (answered as a problem, not by tus). */
interface TusCall {
  principal: Principal;
  failure?: unknown;
}

/** Response headers of the PATCH (or POST) that completes an upload: where the file went (exposed to browsers in cors.ts). */
export const RECORD_ETAG_HEADER = 'record-etag';
export const RECORD_FILE_HEADER = 'record-file';

/**
 * Resumable uploads (tus 1.0.0, through @tus/server): partial bytes wait in a tus FileStore
 * under TUS_DIR; at creation the metadata names a record's file field the caller may update;
 * once the last byte arrives the file goes through FileUploads.store (sniffing, allow-list,
 * size and quota exactly as a multipart upload) and is attached to the record by a pinned
 * patch, and the partial file is removed whatever the outcome. Each upload belongs to its
 * creator: another caller gets the 404 of an unknown upload. Unfinished uploads expire after
 * TUS_EXPIRY_SECONDS; the cleanup schedule removes them.
 */
const UPLOAD_ID = /^[0-9a-f]{16,64}$/;

/** The tus parts, once loaded. */
interface Tus {
  store: FileStore;
  server: Server;
  errors: typeof ERRORS;
}

@Injectable()
export class ResumableUploads implements OnModuleInit {
  private readonly logger = new Logger('Files');
  private readonly calls = new WeakMap<Request, TusCall>();
  private tus?: Promise<Tus>;

  constructor(
    private readonly catalog: CollectionCatalog,
    private readonly records: RecordsService,
    private readonly uploads: FileUploads,
    private readonly jobs: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // Made here, synchronously: FileStore's own mkdir runs in a callback that would throw out of band.
    mkdirSync(config.files.tusDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  }

  /** The tus server and its store, loaded at the first resumable upload rather than at start (~8 MB a server without them never pays). */
  private load(): Promise<Tus> {
    this.tus ??= Promise.all([import('@tus/file-store'), import('@tus/server')]).then(([{ FileStore }, { ERRORS, Server }]) => {
      const store = new FileStore({
        directory: this.config.files.tusDir,
        expirationPeriodInMilliseconds: this.config.files.tusExpirySeconds * 1000,
      });
      const server = new Server({
        path: RESUMABLE_UPLOADS_PATH,
        datastore: store,
        relativeLocation: true,
        maxSize: this.config.storage.maxFileBytes,
        onUploadCreate: (request, upload) => this.created(this.callOf(request), upload),
        onIncomingRequest: (request, id) => (request.method === 'POST' ? Promise.resolve() : this.checkOwner(this.callOf(request), id)),
        onUploadFinish: (request, upload) => this.finished(this.callOf(request), upload),
        onResponseError: (request, error) => {
          // tus's own errors ({status_code, body}) are answered by tus; anything else is the app's to answer.
          if (!('status_code' in error)) this.callOf(request).failure = error;
          return undefined;
        },
      });
      return { store, server, errors: ERRORS };
    });
    return this.tus;
  }

  onModuleInit(): void {
    this.jobs.define({ name: 'files.tus-expired', handler: () => this.removeExpired() });
    this.jobs.schedule('files.tus-expired', this.config.jobs.cleanupSchedule);
  }

  /** Runs one tus request for `principal`; a failure outside the protocol is thrown for the app's error filter. */
  async handle(request: Request, principal: Principal): Promise<Response> {
    const call: TusCall = { principal };
    this.calls.set(request, call);
    const { server } = await this.load();
    const response = await server.handleWeb(request);
    if (call.failure !== undefined) throw call.failure;
    return response;
  }

  /** Removes unfinished uploads past their expiry; returns how many. */
  async removeExpired(): Promise<number> {
    // Nothing has been uploaded since the last sweep removed everything: no need to load tus for it.
    if (!this.tus && readdirSync(this.config.files.tusDir).length === 0) return 0;
    const removed = await (await this.load()).server.cleanUpExpiredUploads();
    if (removed > 0) this.logger.log({ msg: 'removed expired resumable uploads', removed });
    return removed;
  }

  private callOf(request: Request): TusCall {
    const call = this.calls.get(request);
    if (!call) throw new Error('A tus request arrived without its caller.');
    return call;
  }

  /** Creation: the target must exist and be the caller's to update; what tus stores is the checked target and its owner. */
  private async created(call: TusCall, upload: Upload): Promise<{ metadata: Record<string, string> }> {
    const target = await uploadTarget(this.catalog, upload.metadata ?? {});
    await this.records.checkUpdatable(target.collection, call.principal, target.recordId);
    target.checkSize(upload.size, this.config.storage.maxFileBytes);
    // Refused now rather than after every byte has been sent; checked again when the file is stored.
    await this.uploads.checkQuota(call.principal.userId, upload.size ?? 0);
    return { metadata: { ...target.metadata, owner: call.principal.userId } };
  }

  private async checkOwner(call: TusCall, id: string): Promise<void> {
    // tus names uploads with random hex; anything else (a decoded `../`) never reaches the store's paths.
    const { store, errors } = await this.load();
    if (!UPLOAD_ID.test(id)) throw errors.FILE_NOT_FOUND;
    const upload = await store.getUpload(id);
    // Someone else's upload is answered exactly like one that does not exist.
    if (upload.metadata?.owner !== call.principal.userId) throw errors.FILE_NOT_FOUND;
  }

  /** The last byte arrived: store the file as a multipart upload would, attach it, and drop the partial file either way. */
  private async finished(call: TusCall, upload: Upload): Promise<{ headers: Record<string, string> }> {
    const { store } = await this.load();
    const stream = store.read(upload.id);
    // The bytes are all here: only this server's storage can be too slow now, hence a 503.
    const deadline = this.uploads.deadline(
      (seconds) =>
        new ServiceUnavailable(
          `Storing the finished upload took longer than ${seconds} s (FILES_UPLOAD_TIMEOUT_SECONDS); it was not kept.`,
        ),
    );
    try {
      // Looked up again: the schema may have changed since the upload was created.
      const target: UploadTarget = await uploadTarget(this.catalog, upload.metadata ?? {});
      const ref = await this.uploads.store({
        collection: target.collection,
        field: target.field,
        recordId: target.recordId,
        ownerId: call.principal.userId,
        fileName: target.fileName,
        declaredType: target.fileType,
        stream,
        storedBefore: 0,
        deadline: deadline.signal,
      });
      const record = await this.records.attachFile(target.collection, call.principal, target.recordId, target.field, target.mode, ref);
      return { headers: { [RECORD_ETAG_HEADER]: etagOf(record.version), [RECORD_FILE_HEADER]: ref.name } };
    } finally {
      deadline.clear();
      stream.destroy();
      await store.remove(upload.id).catch((error: unknown) => {
        this.logger.warn({ msg: 'a finished resumable upload could not be removed yet', error: (error as Error).message });
      });
    }
  }
}
