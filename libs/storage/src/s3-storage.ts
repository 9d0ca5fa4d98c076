import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { addAbortSignal, pipeline, Readable } from 'node:stream';
import { CountingTransform } from './counting-transform';
import { type ByteRange, ObjectNotFound, type ObjectStat, type PutOptions, type Storage, type StoredObject } from './storage';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** An S3-compatible service's URL (MinIO, R2, …); AWS when absent. */
  endpoint?: string;
  /** Static credentials; the SDK's default chain (environment, profile, instance role) when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Bucket in the path (`host/bucket/key`) rather than the host name: most self-hosted services need it. */
  forcePathStyle: boolean;
  /** Where this deployment's objects live inside the bucket: `''`, or a path ending in `/`. */
  prefix: string;
}

/**
 * The smallest part S3 accepts. With PART_QUEUE parts in flight and one being filled, an upload
 * holds at most (PART_QUEUE + 1) × PART_BYTES in memory whatever the file's size.
 */
const PART_BYTES = 5 * 1024 * 1024;
const PART_QUEUE = 2;
/** DeleteObjects' limit per request. */
const DELETE_BATCH = 1_000;

/**
 * Objects in an S3-compatible bucket. Puts stream through the counter into a multipart upload
 * (a single PutObject when the body fits in one part), so an object exists only once it is
 * complete; a failed or aborted put aborts its multipart upload, so no parts are left to pay for.
 */
export class S3Storage implements Storage {
  readonly driver = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      credentials: options.credentials,
      forcePathStyle: options.forcePathStyle,
      // Checksums only where S3 requires them: several S3-compatible services refuse the
      // newer default (CRC32 trailers on every request).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    // A multipart upload cannot be held back before its last step: wait before the first.
    await options.visibleAfter;
    const counter = new CountingTransform(options.maxBytes);
    // An error on either side (a client gone, too many bytes, the signal) fails the counter,
    // which fails the upload: lib-storage then aborts the multipart upload before rejecting.
    pipeline(body, counter, () => undefined);
    if (options.signal) addAbortSignal(options.signal, counter);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: counter, ContentType: options.contentType },
      partSize: PART_BYTES,
      queueSize: PART_QUEUE,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // The upload rejects with the stream's own error (ObjectTooLarge, AbortError, a client
      // gone) or S3's; in the latter case the client's body must stop being read too.
      counter.destroy();
      body.destroy();
      throw error;
    }
    return counter.result();
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const { Body } = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      if (!(Body instanceof Readable)) throw new Error(`S3 returned no stream for ${key}`);
      return Body;
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFound(key);
      throw error;
    }
  }

  async stat(key: string): Promise<ObjectStat | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return { size: head.ContentLength ?? 0, modified: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const { Errors } = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((key) => ({ Key: this.objectKey(key) })), Quiet: true },
        }),
      );
      // S3 reports a missing key as deleted; anything listed here really failed.
      if (Errors?.length) throw new Error(`S3 could not delete ${Errors.length} object(s): ${Errors[0].Key} ${Errors[0].Code ?? ''}`);
    }
  }

  async *list(prefix: string): AsyncIterable<{ key: string } & ObjectStat> {
    const pages = paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: this.objectKey(prefix) });
    for await (const page of pages)
      for (const object of page.Contents ?? [])
        if (object.Key)
          yield { key: object.Key.slice(this.prefix.length), size: object.Size ?? 0, modified: object.LastModified ?? new Date(0) };
  }

  /** Multipart uploads under this deployment's prefix initiated before `before`, aborted (their parts go with them). */
  async sweepUnfinished(before: Date): Promise<number> {
    let removed = 0;
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
    for (;;) {
      const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix, ...markers }));
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated >= before) continue;
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId }));
        removed++;
      }
      // A store that says there is more but not where it starts would be listed from the top forever.
      if (!page.IsTruncated || !page.NextKeyMarker) return removed;
      markers = { KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker };
    }
  }

  presignedUrl(key: string, options: { seconds: number; disposition: string; contentType: string }): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      ResponseContentDisposition: options.disposition,
      ResponseContentType: options.contentType,
    });
    return getSignedUrl(this.client, command, { expiresIn: options.seconds });
  }

  /** Closes the client's connections (at shutdown). */
  close(): void {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    return this.prefix + key;
  }
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404)
  );
}
