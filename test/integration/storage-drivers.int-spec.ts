import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { LocalStorage, ObjectNotFound, ObjectTooLarge, type S3Storage, s3Storage, type Storage } from '@backlot/storage';
import { startS3Server, type TestS3Server } from '@backlot/testing/s3-server';

const MiB = 1024 * 1024;

/** One driver under test, and what only a driver's own backend can tell about it. */
interface Driver {
  storage: Storage;
  /** The same backend seen through another key prefix (another deployment's objects). */
  withPrefix(prefix: string): Storage;
  /** S3 only: the same service, with a bucket that does not exist. */
  withMissingBucket?(): Storage;
  /** Bytes of unfinished puts the backend holds (partial files, multipart parts). */
  pendingBytes(): number;
  /** Unfinished puts the backend still holds (must be none once a put has failed). */
  leftovers(): Promise<unknown[]>;
  /**
   * Leaves what a process killed in the middle of a put leaves (a partial file, a multipart
   * upload with a part), for this deployment or another (`deployment`); tells whether it is still there.
   */
  abandon(deployment?: string): Promise<() => Promise<boolean>>;
  close(): Promise<void>;
}

async function localDriver(): Promise<Driver> {
  const base = mkdtempSync(join(tmpdir(), 'backlot-contract-'));
  const root = join(base, 'deployment-a');
  const partials = () => {
    try {
      return readdirSync(join(root, '.partial'));
    } catch {
      return [];
    }
  };
  return {
    storage: new LocalStorage(root),
    // The local driver has no prefix setting: another deployment has a directory of its own.
    withPrefix: (prefix) => new LocalStorage(join(base, prefix)),
    pendingBytes: () =>
      partials().reduce((sum, name) => {
        try {
          return sum + statSync(join(root, '.partial', name)).size;
        } catch {
          return sum;
        }
      }, 0),
    leftovers: async () => partials(),
    abandon: async (deployment = 'deployment-a') => {
      const dir = join(base, deployment, '.partial');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `abandoned-${randomBytes(4).toString('hex')}`);
      writeFileSync(file, randomBytes(1000));
      return async () => existsSync(file);
    },
    close: async () => rmSync(base, { recursive: true, force: true }),
  };
}

async function s3Driver(): Promise<Driver> {
  const server: TestS3Server = await startS3Server();
  const make = (prefix: string, bucket = server.bucket) =>
    s3Storage({
      bucket,
      region: server.region,
      endpoint: server.endpoint,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      forcePathStyle: true,
      prefix,
    });
  const made: S3Storage[] = [];
  const client = new S3Client({
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  const storage = make('deployment-a/');
  return {
    storage,
    withPrefix: (prefix) => {
      const other = make(`${prefix}/`);
      made.push(other);
      return other;
    },
    withMissingBucket: () => {
      const other = make('', 'no-such-bucket');
      made.push(other);
      return other;
    },
    pendingBytes: () => {
      try {
        return server.pendingUploadBytes();
      } catch {
        return 0; // an upload completed while its parts were being counted
      }
    },
    // Asked the way an operator would (ListMultipartUploads), not by peeking at the server's files.
    leftovers: async () => (await client.send(new ListMultipartUploadsCommand({ Bucket: server.bucket }))).Uploads ?? [],
    abandon: async (deployment = 'deployment-a') => {
      const Key = `${deployment}/c/r/abandoned-${randomBytes(4).toString('hex')}`;
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key }));
      await client.send(new UploadPartCommand({ Bucket: server.bucket, Key, UploadId, PartNumber: 1, Body: randomBytes(1000) }));
      return async () =>
        ((await client.send(new ListMultipartUploadsCommand({ Bucket: server.bucket }))).Uploads ?? []).some(
          (upload) => upload.UploadId === UploadId,
        );
    },
    close: async () => {
      for (const s of [storage, ...made]) s.close();
      client.destroy();
      await server.stop();
    },
  };
}

const bytes = (body: string | Buffer) => Readable.from([typeof body === 'string' ? Buffer.from(body) : body]);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** `total` bytes in 64 KiB chunks, made only as they are read; `onChunk` sees how many were made so far. */
function generated(total: number, onChunk: (produced: number) => void = () => undefined): { stream: Readable; hash: () => string } {
  const hash = createHash('sha256');
  let produced = 0;
  const stream = Readable.from(
    (function* () {
      while (produced < total) {
        const chunk = randomBytes(Math.min(64 * 1024, total - produced));
        produced += chunk.length;
        hash.update(chunk);
        onChunk(produced);
        yield chunk;
      }
    })(),
  );
  return { stream, hash: () => hash.digest('hex') };
}

describe.each([
  ['local', localDriver],
  ['s3', s3Driver],
])('the %s storage driver', (name, makeDriver) => {
  let driver: Driver;
  let storage: Storage;

  beforeAll(async () => {
    driver = await makeDriver();
    storage = driver.storage;
  });
  afterAll(() => driver?.close());

  const put = (key: string, body: Readable, maxBytes = 1_000, signal?: AbortSignal) =>
    storage.put(key, body, { maxBytes, contentType: 'text/plain', signal });

  it('stores a stream and reads it back whole and by range, with its size and SHA-256', async () => {
    expect(await put('c/r/hello.txt', bytes('hello, world'))).toEqual({
      size: 12,
      sha256: '09ca7e4eaa6e8ae9c7d261167129184883644d07dfba7cbfbc4c8a2e08360d5b',
    });
    expect(await text(await storage.read('c/r/hello.txt'))).toBe('hello, world');
    expect(await text(await storage.read('c/r/hello.txt', { start: 7, end: 11 }))).toBe('world');
    expect(await text(await storage.read('c/r/hello.txt', { start: 4, end: 4 }))).toBe('o');
    const stat = await storage.stat('c/r/hello.txt');
    expect(stat?.size).toBe(12);
    expect(Math.abs(Date.now() - stat!.modified.getTime())).toBeLessThan(60_000);
  });

  it('replaces an object put again under the same key', async () => {
    await put('c/r/again.txt', bytes('first'));
    await put('c/r/again.txt', bytes('second'));
    expect(await text(await storage.read('c/r/again.txt'))).toBe('second');
  });

  it('reports a missing object as ObjectNotFound on read and null on stat', async () => {
    await expect(storage.read('c/r/missing.txt')).rejects.toBeInstanceOf(ObjectNotFound);
    await expect(storage.read('c/r/missing.txt', { start: 0, end: 3 })).rejects.toBeInstanceOf(ObjectNotFound);
    expect(await storage.stat('c/r/missing.txt')).toBeNull();
  });

  it('lists objects under a prefix and deletes them, missing keys included', async () => {
    await put('l1/r1/a.txt', bytes('a'));
    await put('l1/r2/b.txt', bytes('bb'));
    await put('l2/r3/c.txt', bytes('ccc'));
    const listed = [];
    for await (const object of storage.list('l1/')) listed.push([object.key, object.size]);
    expect(listed.sort()).toEqual([
      ['l1/r1/a.txt', 1],
      ['l1/r2/b.txt', 2],
    ]);
    await storage.delete(['l1/r1/a.txt', 'l1/r1/never-there.txt', 'l1/r2/b.txt']);
    expect(await storage.stat('l1/r1/a.txt')).toBeNull();
    const left = [];
    for await (const object of storage.list('l1/')) left.push(object.key);
    expect(left).toEqual([]);
    expect(await storage.stat('l2/r3/c.txt')).not.toBeNull();
  });

  it('holds an object back until visibleAfter settles, and stores nothing when it rejects', async () => {
    let written!: () => void;
    const gate = new Promise<void>((resolve) => (written = resolve));
    const held = storage.put('gate/r/held.txt', bytes('held'), { maxBytes: 1_000, contentType: 'text/plain', visibleAfter: gate });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await storage.stat('gate/r/held.txt')).toBeNull();
    written();
    expect(await held).toMatchObject({ size: 4 });
    expect(await text(await storage.read('gate/r/held.txt'))).toBe('held');

    const refused = Promise.reject(new Error('the row was not written'));
    await expect(
      storage.put('gate/r/refused.txt', bytes('refused'), { maxBytes: 1_000, contentType: 'text/plain', visibleAfter: refused }),
    ).rejects.toThrow('the row was not written');
    expect(await storage.stat('gate/r/refused.txt')).toBeNull();
    expect(await driver.leftovers()).toEqual([]);
  });

  it('deletes more keys than one S3 request takes (1,000)', async () => {
    const keys = Array.from({ length: 1_005 }, (_, i) => `many/r/${i}.txt`);
    await put(keys[0], bytes('first'));
    await put(keys[1_004], bytes('last'));
    await storage.delete(keys);
    expect(await storage.stat(keys[0])).toBeNull();
    expect(await storage.stat(keys[1_004])).toBeNull();
  });

  it('stops a put past maxBytes with ObjectTooLarge and leaves nothing, not even a part', async () => {
    // Past one 5 MiB part, so the S3 driver has a multipart upload under way when it fails.
    const { stream } = generated(12 * MiB);
    await expect(put('big/r/too-large.bin', stream, 8 * MiB)).rejects.toBeInstanceOf(ObjectTooLarge);
    expect(await storage.stat('big/r/too-large.bin')).toBeNull();
    expect(await driver.leftovers()).toEqual([]);
  });

  it('stops a put when its signal aborts and leaves nothing', async () => {
    const controller = new AbortController();
    const { stream } = generated(20 * MiB, (produced) => {
      if (produced >= 7 * MiB) controller.abort();
    });
    await expect(put('big/r/aborted.bin', stream, 100 * MiB, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(await storage.stat('big/r/aborted.bin')).toBeNull();
    expect(await driver.leftovers()).toEqual([]);
  });

  it('refuses a put whose signal was already aborted', async () => {
    await expect(put('c/r/never.txt', bytes('x'), 1_000, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    expect(await storage.stat('c/r/never.txt')).toBeNull();
  });

  it('streams a 30 MiB put without holding it in memory, with the right size and SHA-256', async () => {
    let mostAhead = 0;
    let landed = 0;
    const { stream, hash } = generated(30 * MiB, (produced) => {
      // How far the source is ahead of what reached the backend = what the driver holds.
      if (produced % (MiB / 2) === 0) landed = driver.pendingBytes();
      mostAhead = Math.max(mostAhead, produced - landed);
    });
    const stored = await put('big/r/thirty.bin', stream, 100 * MiB);
    expect(stored).toEqual({ size: 30 * MiB, sha256: hash() });
    expect((await storage.stat('big/r/thirty.bin'))?.size).toBe(30 * MiB);
    expect(sha256(await buffer(await storage.read('big/r/thirty.bin')))).toBe(stored.sha256);
    // Never more than a few parts ahead (the S3 driver: 2 parts in flight and 1 filling, 5 MiB each).
    expect(mostAhead).toBeLessThan(18 * MiB);
    await storage.delete(['big/r/thirty.bin']);
  });

  it('keeps deployments with different prefixes apart', async () => {
    const other = driver.withPrefix('deployment-b');
    await put('p/r/mine.txt', bytes('a'));
    await other.put('p/r/theirs.txt', bytes('b'), { maxBytes: 10, contentType: 'text/plain' });
    expect(await storage.stat('p/r/theirs.txt')).toBeNull();
    expect(await other.stat('p/r/mine.txt')).toBeNull();
    const mine = [];
    for await (const object of storage.list('p/')) mine.push(object.key);
    expect(mine).toEqual(['p/r/mine.txt']);
    await other.delete(['p/r/mine.txt']);
    expect(await text(await storage.read('p/r/mine.txt'))).toBe('a');
  });

  it('sweeps what killed puts left behind once older than the cut-off, and no other deployment’s', async () => {
    const mine = await driver.abandon();
    const theirs = await driver.abandon('deployment-b');
    // Started after the cut-off: possibly still being written.
    expect(await storage.sweepUnfinished(new Date(Date.now() - 60_000))).toBe(0);
    expect(await mine()).toBe(true);
    expect(await storage.sweepUnfinished(new Date(Date.now() + 1_000))).toBe(1);
    expect(await mine()).toBe(false);
    expect(await theirs()).toBe(true);
    // Stored objects are not unfinished puts.
    await put('c/r/kept.txt', bytes('kept'));
    expect(await storage.sweepUnfinished(new Date(Date.now() + 1_000))).toBe(0);
    expect(await text(await storage.read('c/r/kept.txt'))).toBe('kept');
  });

  (name === 's3' ? it : it.skip)('fails a put the bucket refuses and stops reading the body', async () => {
    const { stream } = generated(12 * MiB);
    await expect(
      driver.withMissingBucket!().put('c/r/x.bin', stream, { maxBytes: 100 * MiB, contentType: 'application/octet-stream' }),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });
    expect(stream.destroyed).toBe(true);
  });

  (name === 's3' ? it : it.skip)('hands out a presigned URL that serves the object with the asked headers, for a while', async () => {
    await put('c/r/report.txt', bytes('quarterly numbers'));
    const url = await storage.presignedUrl!('c/r/report.txt', {
      seconds: 60,
      disposition: `attachment; filename="report.txt"; filename*=UTF-8''r%C3%A9port.txt`,
      contentType: 'text/plain; charset=utf-8',
    });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="report.txt"; filename*=UTF-8''r%C3%A9port.txt`);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe('quarterly numbers');
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('60');
    // (s3rver checks expiry but not V4 signatures, so a tampered URL cannot be shown refused here.)
    const shortLived = await storage.presignedUrl!('c/r/report.txt', { seconds: 1, disposition: 'inline', contentType: 'text/plain' });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await fetch(shortLived)).status).toBe(403);
  });
});

describe('S3 storage: sweeping unfinished puts over more than one page of ListMultipartUploads', () => {
  let server: TestS3Server;
  let client: S3Client;
  beforeAll(async () => {
    server = await startS3Server({ uploadsPerPage: 2 });
    client = new S3Client({
      region: server.region,
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
  });
  afterAll(async () => {
    client.destroy();
    await server.stop();
  });

  it('aborts every upload of this deployment past the cut-off, page after page, and none of another deployment', async () => {
    const start = async (Key: string) => client.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key }));
    // Two uploads under one key too: a page then ends inside a key (key and upload-id markers).
    for (const key of ['a/c/r/1.bin', 'a/c/r/2.bin', 'a/c/r/2.bin', 'a/c/r/3.bin', 'a/c/r/4.bin', 'b/c/r/1.bin', 'b/c/r/2.bin'])
      await start(key);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const cutOff = new Date();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Newer than the cut-off and first in key order: they fill the first page and stay, so only
    // a driver that follows the markers gets past them (starting over would list them forever).
    for (const key of ['a/0/r/1.bin', 'a/0/r/2.bin']) await start(key);
    const storage = s3Storage({
      bucket: server.bucket,
      region: server.region,
      endpoint: server.endpoint,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      forcePathStyle: true,
      prefix: 'a/',
    });
    try {
      expect(await storage.sweepUnfinished(cutOff)).toBe(5);
      const left = server.pendingUploads().map((upload) => upload.key);
      expect(left.sort()).toEqual(['a/0/r/1.bin', 'a/0/r/2.bin', 'b/c/r/1.bin', 'b/c/r/2.bin']);
    } finally {
      storage.close();
    }
  });
});
