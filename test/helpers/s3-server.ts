import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver's default account: it checks request signatures against these. */
const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The STORAGE_S3_* variables that point Backlot at this bucket. */
  env: Record<string, string>;
  /** Multipart uploads started and neither completed nor aborted, as `{ key, uploadId }`. */
  pendingUploads(): { key: string; uploadId: string }[];
  /** Bytes the server has received for multipart uploads still in progress. */
  pendingUploadBytes(): number;
  stop(): Promise<void>;
}

/**
 * A real S3 server (s3rver: HTTP, signature checks, multipart uploads, presigned URLs) on
 * 127.0.0.1 and a free port, over a fresh directory, with one fresh bucket.
 *
 * s3rver lacks two operations the S3 driver relies on: AbortMultipartUpload (a DELETE with
 * `uploadId`) and ListMultipartUploads (a GET with `uploads`, filtered by `prefix`, each upload
 * with its key, id and initiation time, in pages ordered by key and id as S3 gives them). They
 * are added here over s3rver's own store (`<bucket>/._S3rver_uploads/<upload id>/`, which holds
 * `key` and the parts), so a test can see that a failed put leaves no upload behind.
 * `uploadsPerPage` makes those pages smaller than S3's 1,000, so paging can be tested with a few.
 */
export async function startS3Server({ uploadsPerPage = 1_000 }: { uploadsPerPage?: number } = {}): Promise<TestS3Server> {
  const directory = mkdtempSync(join(tmpdir(), 'backlot-s3-'));
  const bucket = `backlot-test-${randomBytes(4).toString('hex')}`;
  const uploadsDir = join(directory, bucket, '._S3rver_uploads');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket }],
  });

  const pendingUploads = () =>
    existsSync(uploadsDir)
      ? readdirSync(uploadsDir).map((uploadId) => ({
          uploadId,
          key: readFileSync(join(uploadsDir, uploadId, 'key'), 'utf8'),
          initiated: statSync(join(uploadsDir, uploadId)).birthtime,
        }))
      : [];

  server.middleware.unshift(async (ctx, next) => {
    const [pathBucket, ...keyParts] = ctx.path.split('/').filter(Boolean);
    if (pathBucket !== bucket) return next();
    const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : undefined;
    if (ctx.method === 'DELETE' && uploadId && keyParts.length > 0) {
      if (!/^[A-Za-z0-9_-]+$/.test(uploadId) || !existsSync(join(uploadsDir, uploadId))) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>No such upload</Message></Error>';
        return;
      }
      rmSync(join(uploadsDir, uploadId), { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    if (ctx.method === 'GET' && keyParts.length === 0 && 'uploads' in ctx.query) {
      const query = (name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string) : '');
      const [prefix, keyMarker, idMarker] = [query('prefix'), query('key-marker'), query('upload-id-marker')];
      const max = Math.min(uploadsPerPage, Number(query('max-uploads') || 1_000));
      const after = pendingUploads()
        .filter(({ key }) => key.startsWith(prefix))
        // S3 orders by the keys' bytes (and then by upload id), which plain string comparison matches for ASCII keys.
        .sort((a, b) => compare(a.key, b.key) || compare(a.uploadId, b.uploadId))
        .filter(({ key, uploadId }) => key > keyMarker || (key === keyMarker && idMarker !== '' && uploadId > idMarker));
      const page = after.slice(0, max);
      const last = page[page.length - 1];
      const truncated = after.length > page.length;
      ctx.type = 'application/xml';
      ctx.body =
        `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>${bucket}</Bucket>` +
        `<IsTruncated>${truncated}</IsTruncated>` +
        (truncated ? `<NextKeyMarker>${xml(last.key)}</NextKeyMarker><NextUploadIdMarker>${last.uploadId}</NextUploadIdMarker>` : '') +
        page
          .map(
            ({ key, uploadId, initiated }) =>
              `<Upload><Key>${xml(key)}</Key><UploadId>${uploadId}</UploadId><Initiated>${initiated.toISOString()}</Initiated></Upload>`,
          )
          .join('') +
        '</ListMultipartUploadsResult>';
      return;
    }
    return next();
  });

  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    region: 'us-east-1',
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    env: {
      STORAGE_DRIVER: 's3',
      STORAGE_S3_BUCKET: bucket,
      STORAGE_S3_ENDPOINT: endpoint,
      STORAGE_S3_REGION: 'us-east-1',
      STORAGE_S3_ACCESS_KEY_ID: ACCESS_KEY_ID,
      STORAGE_S3_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
      STORAGE_S3_FORCE_PATH_STYLE: 'true',
    },
    pendingUploads,
    pendingUploadBytes: () =>
      pendingUploads().reduce(
        (total, { uploadId }) =>
          total +
          readdirSync(join(uploadsDir, uploadId))
            .filter((name) => /^\d+$/.test(name))
            .reduce((sum, part) => sum + statSync(join(uploadsDir, uploadId, part)).size, 0),
        0,
      ),
    stop: async () => {
      server.httpServer?.closeAllConnections();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
