import { createHash } from 'node:crypto';
import { InvalidBackup } from './backup-errors';
import { backupLines } from './backup-lines';
import { BackupParser, type ParsedBackup } from './backup-parser';
import { checkKnownSchema } from './schema-level';

export interface VerifyOptions {
  /** Migrations this build knows: a backup naming another one comes from a newer schema. */
  knownMigrations: readonly string[];
  appVersion: string;
  /** The whole-file sha256 from the sidecar manifest, when there is one. */
  expectedSha256?: string;
  /** Compressed bytes read so far. */
  onProgress?: (bytes: number) => void;
}

export interface VerifiedBackup extends ParsedBackup {
  sha256: string;
  size: number;
}

/**
 * Pass 1 of a restore: reads the whole file without touching the database and proves it
 * whole (gzip integrity, every table's count and checksum, the trailer) and restorable by
 * this build (format version, schema level). Fails fast on the header.
 */
export async function verifyBackup(path: string, options: VerifyOptions): Promise<VerifiedBackup> {
  const parser = new BackupParser();
  const fileHash = createHash('sha256');
  let size = 0;
  const lines = backupLines(path, (chunk) => {
    fileHash.update(chunk);
    size += chunk.length;
    options.onProgress?.(size);
  });
  for await (const line of lines) {
    const parsed = parser.feed(line);
    if (parsed.type === 'header') checkKnownSchema(parsed.header.migrations, options.knownMigrations, options.appVersion);
  }
  const parsed = parser.finish();
  const sha256 = fileHash.digest('hex');
  if (options.expectedSha256 && options.expectedSha256 !== sha256) {
    throw new InvalidBackup('corrupted', 'The backup file is corrupted: its sha256 differs from the one recorded in its manifest.');
  }
  return { ...parsed, sha256, size };
}
