import { type BackupManifest, backupName, BackupStore } from '@backlot/backup';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

type Line = Record<string, unknown> & { $?: string };

/**
 * Crafts a backup that is valid as a file (gzip, checksums, trailer) but says something else:
 * `control` may change control lines (header, table starts, file lines, the trailer), `row` may change row lines
 * (return undefined to keep a row byte for byte, a string to write that text as the line), `fileChunk`
 * may change the bytes of a stored file's base64 line. Table counts, checksums and the trailer are
 * recomputed, so a restore refuses the result only for what the test changed.
 */
export async function rewriteBackup(
  source: string,
  target: string,
  control: (line: Line) => Line,
  row?: (table: string, row: Record<string, unknown>) => Record<string, unknown> | string | undefined,
  fileChunk?: (key: string, bytes: Buffer) => Buffer,
): Promise<void> {
  const lines = gunzipSync(readFileSync(source)).toString('utf8').split('\n').filter(Boolean);
  const out: string[] = [];
  const counts: Record<string, number> = {};
  const checksums: Record<string, string> = {};
  let table: { name: string; hash: ReturnType<typeof createHash>; count: number } | undefined;
  let file: string | undefined;
  for (const text of lines) {
    if (file !== undefined && !text.startsWith('{"$":')) {
      out.push(fileChunk ? fileChunk(file, Buffer.from(text, 'base64')).toString('base64') : text);
      continue;
    }
    if (!text.startsWith('{"$":')) {
      const edited = row?.(table!.name, JSON.parse(text) as Record<string, unknown>);
      const line = edited === undefined ? text : typeof edited === 'string' ? edited : JSON.stringify(edited);
      table!.hash.update(`${line}\n`);
      table!.count++;
      out.push(line);
      continue;
    }
    const parsed = JSON.parse(text) as Line;
    if (parsed.$ === 'table') {
      const edited = control(parsed);
      table = { name: edited.table as string, hash: createHash('sha256'), count: 0 };
      out.push(JSON.stringify(edited));
    } else if (parsed.$ === 'end') {
      counts[table!.name] = table!.count;
      checksums[table!.name] = table!.hash.digest('hex');
      out.push(JSON.stringify({ ...parsed, table: table!.name, count: counts[table!.name], sha256: checksums[table!.name] }));
      table = undefined;
    } else if (parsed.$ === 'file') {
      file = parsed.key as string;
      out.push(JSON.stringify(control(parsed)));
    } else if (parsed.$ === 'file-end') {
      file = undefined;
      out.push(JSON.stringify(control(parsed)));
    } else if (parsed.$ === 'trailer') {
      const edited = control(parsed);
      out.push(JSON.stringify({ ...edited, manifest: { ...(edited.manifest as object), counts, checksums } }));
    } else {
      out.push(JSON.stringify(control(parsed)));
    }
  }
  writeFileSync(target, gzipSync(`${out.join('\n')}\n`), { mode: 0o600 });
}

/** Flips a run of bytes in the middle of the compressed data. */
export function corruptBackup(path: string): void {
  const bytes = readFileSync(path);
  const middle = Math.floor(bytes.length / 2);
  for (let i = middle; i < Math.min(bytes.length - 8, middle + 16); i++) bytes[i] ^= 0xff;
  writeFileSync(path, bytes);
}

/** Cuts the file to `fraction` of its size. */
export function truncateBackup(path: string, fraction = 0.6): void {
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * fraction)));
}

/**
 * Stores a copy of a backup under a new name after `damage` changed the copy's file, with a
 * manifest that matches the damaged file (sha256, size): the restore must then refuse it for
 * what is inside, not because the manifest disagrees.
 */
export async function storeDamagedCopy(
  dir: string,
  original: { name: string },
  damage: (source: string, target: string) => void | Promise<void>,
  manifest: Partial<BackupManifest> = {},
): Promise<string> {
  const store = new BackupStore(dir);
  const name = backupName('manual');
  const target = store.filePath(name);
  await damage(store.filePath(original.name), target);
  const bytes = readFileSync(target);
  const stored = JSON.parse(readFileSync(join(dir, `${original.name}.json`), 'utf8')) as BackupManifest;
  const sidecar = { ...stored, ...manifest, name, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(sidecar), { mode: 0o600 });
  return name;
}

/** `damage` for storeDamagedCopy: copy, then edit the copy in place. */
export function copyThen(edit: (path: string) => void): (source: string, target: string) => void {
  return (source, target) => {
    copyFileSync(source, target);
    edit(target);
  };
}

/** The sha256 a backup's end line would give for the first `rows` rows of `table` (all when omitted), and how many it has. */
export function tableChecksum(path: string, table: string, rows?: number): { count: number; sha256: string } {
  const hash = createHash('sha256');
  let inTable = false;
  let count = 0;
  for (const line of gunzipSync(readFileSync(path)).toString('utf8').split('\n')) {
    if (line.startsWith('{"$":')) {
      const control = JSON.parse(line) as { $: string; table?: string };
      if (control.$ === 'table') inTable = control.table === table;
      if (control.$ === 'end') inTable = false;
      continue;
    }
    if (!inTable) continue;
    if (rows === undefined || count < rows) hash.update(`${line}\n`);
    count++;
  }
  return { count, sha256: hash.digest('hex') };
}
