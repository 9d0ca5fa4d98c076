import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Readable } from 'node:stream';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { BadRequest, NotFound, Unauthenticated } from '@backlot/http';
import { type Principal, PrincipalResolver } from '@backlot/security';
import { type ByteRange, ObjectNotFound, STORAGE, type Storage } from '@backlot/storage';
import { RecordAccess } from '../access/record-access';
import type { CollectionSchema } from '../collections/collection-schema';
import type { FieldDefinition } from '../collections/field-definition';
import { RecordCache } from '../records/record-cache';
import { fileKey, thumbnailKey } from './file-ref';
import { FileTokens } from './file-tokens';
import { refsOf } from './record-files';
import { Thumbnails } from './thumbnails';

/** A file (or one of its thumbnails) a caller may download, with what its response needs. */
export interface Download {
  key: string;
  type: string;
  size: number;
  etag: string;
  /** The name offered to save it under. */
  fileName: string;
  /** Whether anyone at all may read it (long-lived shared caching), or only this caller. */
  shared: boolean;
  /** Its bytes, when they are held in memory (small thumbnails). */
  bytes?: Buffer;
}

export interface DownloadRequest {
  recordId: string;
  name: string;
  thumb?: string;
  token?: string;
}

/**
 * Who may download which file. A file is readable by whoever may view its record (the view
 * rule, through the same scope as every read) and its field (hidden fields need an admin). A
 * `protected` field's files need credentials as well: an Authorization header or a file token
 * for that record or file, whatever the view rule says. The record is read through the record
 * cache (hot files cost no query); its FileRef names the object, which lives under the record's
 * own key prefix, so a record can only ever point at its own uploads.
 */
@Injectable()
export class FileDownloads {
  private resolver?: PrincipalResolver;

  constructor(
    private readonly cache: RecordCache,
    private readonly thumbnails: Thumbnails,
    private readonly tokens: FileTokens,
    private readonly access: RecordAccess,
    private readonly moduleRef: ModuleRef,
    @Inject(STORAGE) private readonly storage: Storage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async locate(collection: CollectionSchema, caller: Principal | null, request: DownloadRequest): Promise<Download> {
    const missing = () => new NotFound(`There is no file ${request.name} on record ${request.recordId} of ${collection.name}.`);
    const fromToken = request.token !== undefined ? await this.fromToken(collection, request) : caller;
    if (fromToken === undefined) throw missing();
    const principal = fromToken;
    const row = await this.cache.find(collection, principal, request.recordId);
    const field = row && this.fieldHolding(collection, row.data, request.name, principal);
    if (!field) throw missing();
    if (field.protected && !principal)
      throw new Unauthenticated(
        `${field.name} is protected: send an Authorization header, or a file token (POST /api/v1/files/token) as ?token=.`,
      );
    // The record's FileRef describes the stored object: only RecordFiles writes one (clients
    // name stored files; batches and imports cannot set them; restores keep only live ones).
    const file = refsOf(row.data[field.name]).find((ref) => ref.name === request.name)!;
    const shared = !field.protected && !principal;
    const download: Download = {
      key: fileKey(collection.id, request.recordId, file.name),
      type: file.type,
      size: file.size,
      etag: `"${file.sha256}"`,
      fileName: file.original,
      shared,
    };
    if (request.thumb === undefined) return download;
    if (!field.thumbs?.includes(request.thumb))
      throw new BadRequest(
        field.thumbs?.length
          ? `${field.name} has thumbnails of ${field.thumbs.join(', ')} only, not ${request.thumb}.`
          : `${field.name} declares no thumbnail sizes.`,
      );
    if (!Thumbnails.canThumb(file.type)) throw new BadRequest(`${request.name} is ${file.type}: only images have thumbnails.`);
    const thumb = await this.thumbnails.ensure(
      { key: download.key, thumbKey: thumbnailKey(collection.id, request.recordId, request.name, request.thumb), type: file.type },
      request.thumb,
    );
    const bytes = await this.thumbnails.bytesOf(thumb);
    return { ...download, key: thumb.key, type: thumb.type, size: thumb.size, etag: `"${file.sha256}-${request.thumb}"`, bytes };
  }

  /** The bytes (or a range of them); NotFound when storage lost them. */
  async open(download: Download, range?: ByteRange): Promise<Readable | Buffer> {
    if (download.bytes) return range ? download.bytes.subarray(range.start, range.end + 1) : download.bytes;
    try {
      return await this.storage.read(download.key, range);
    } catch (error) {
      if (error instanceof ObjectNotFound) throw new NotFound('The file’s bytes are missing from storage.');
      throw error;
    }
  }

  /** A file token for a record (or one of its files) the caller may view. */
  async grant(
    collection: CollectionSchema,
    principal: Principal,
    recordId: string,
    name?: string,
  ): Promise<{ token: string; expiresAt: Date }> {
    if (principal.kind !== 'session')
      throw new BadRequest('File tokens are for sessions; an API key downloads with its Authorization header.');
    const row = await this.cache.find(collection, principal, recordId);
    if (!row || (name !== undefined && !this.fieldHolding(collection, row.data, name, principal)))
      throw new NotFound(`There is no ${name ? `file ${name} on ` : ''}record ${recordId} in ${collection.name} that you may view.`);
    return this.tokens.issue({ userId: principal.userId, sessionId: principal.sessionId, collectionId: collection.id, recordId, name });
  }

  /** A short-lived URL the client reads the bytes from directly (S3 with presigned downloads on). */
  presignedUrl(download: Download, disposition: string): Promise<string> {
    return this.storage.presignedUrl!(download.key, { seconds: this.presignSeconds, disposition, contentType: download.type });
  }

  private get presignSeconds(): number {
    return this.config.storage.s3?.presignSeconds ?? 300;
  }

  get presignedDownloads(): boolean {
    return Boolean(this.storage.presignedUrl) && this.config.storage.s3?.presignedDownloads === true;
  }

  private fieldHolding(
    collection: CollectionSchema,
    data: Record<string, unknown>,
    name: string,
    principal: Principal | null,
  ): FieldDefinition | undefined {
    return collection.row.fields.find(
      (field) =>
        field.type === 'file' &&
        (!field.hidden || this.access.seesHidden(principal)) &&
        refsOf(data[field.name]).some((ref) => ref.name === name),
    );
  }

  /** The live principal behind a file token that grants this file; undefined when it does not. */
  private async fromToken(collection: CollectionSchema, request: DownloadRequest): Promise<Principal | undefined> {
    const grant = request.token ? this.tokens.verify(request.token) : undefined;
    if (!grant) throw new Unauthenticated('The file token is invalid or has expired; ask for a new one.');
    if (grant.collectionId !== collection.id || grant.recordId !== request.recordId || (grant.name && grant.name !== request.name))
      return undefined;
    const principal = await this.principals().fromSession(grant.userId, grant.sessionId);
    if (!principal) throw new Unauthenticated('The session this file token was issued for has ended.');
    return principal;
  }

  private principals(): PrincipalResolver {
    return (this.resolver ??= this.moduleRef.get(PrincipalResolver, { strict: false }));
  }
}
