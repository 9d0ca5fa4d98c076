import { createHash } from 'node:crypto';
import { InvalidBackup } from './backup-errors';
import { backupName, FILE_CHUNK_BYTES, FORMAT_VERSION, isBackupName, kindOf } from './backup-format';
import { BackupParser } from './backup-parser';
import { checkKnownSchema } from './schema-level';

const HEADER = {
  $: 'header',
  format: 'backlot-backup',
  formatVersion: 1,
  appVersion: '0.1.0',
  createdAt: '2026-11-22T10:15:00.000Z',
  source: 'embedded',
  migrations: ['20261122024813_init'],
  includesSessions: false,
};
const ROWS = ['{"key":"a","value":1}', '{"key":"b","value":2}'];
const sha = (lines: string[]) =>
  createHash('sha256')
    .update(lines.map((l) => `${l}\n`).join(''))
    .digest('hex');

/** A well-formed backup's lines, with `edit` applied to the list. */
function lines(edit: (lines: string[]) => string[] = (l) => l): string[] {
  return edit([
    JSON.stringify(HEADER),
    JSON.stringify({ $: 'table', table: 'settings', columns: ['key', 'value'] }),
    ...ROWS,
    JSON.stringify({ $: 'end', table: 'settings', count: 2, sha256: sha(ROWS) }),
    JSON.stringify({ $: 'trailer', manifest: { counts: { settings: 2 }, checksums: { settings: sha(ROWS) } }, complete: true }),
  ]);
}

function parse(input: string[]) {
  const parser = new BackupParser();
  for (const line of input) parser.feed(line);
  return parser.finish();
}

function refusal(input: string[]): InvalidBackup {
  try {
    parse(input);
  } catch (error) {
    if (error instanceof InvalidBackup) return error;
    throw error;
  }
  throw new Error('the backup was accepted');
}

describe('BackupParser', () => {
  it('accepts a well-formed backup and sums up its tables', () => {
    expect(parse(lines())).toEqual({
      header: HEADER,
      tables: [{ table: 'settings', columns: ['key', 'value'], count: 2, sha256: sha(ROWS) }],
      files: { count: 0, bytes: 0 },
    });
  });

  it('tells rows from control lines by their first characters, without parsing rows', () => {
    const parser = new BackupParser();
    const [header, start, row] = lines();
    parser.feed(header);
    parser.feed(start);
    expect(parser.feed(row)).toEqual({ type: 'row', table: 'settings', line: row });
  });

  it.each([
    ['a file cut before its trailer', (l: string[]) => l.slice(0, -1), 'truncated', /before its trailer/],
    ['a file cut inside a table', (l: string[]) => l.slice(0, 3), 'truncated', /inside table settings/],
    ['a changed row', (l: string[]) => [l[0], l[1], '{"key":"a","value":9}', ...l.slice(3)], 'corrupted', /checksum/],
    ['a missing row', (l: string[]) => [l[0], l[1], l[2], ...l.slice(4)], 'corrupted', /holds 1 row/],
    [
      'a trailer that disagrees',
      (l: string[]) => [...l.slice(0, -1), l.at(-1)!.replace('"settings":2', '"settings":3')],
      'corrupted',
      /trailer/,
    ],
    ['data after the trailer', (l: string[]) => [...l, ROWS[0]], 'corrupted', /after the trailer/],
    ['a row outside a table', (l: string[]) => [l[0], ROWS[0], ...l.slice(1)], 'corrupted', /outside a table/],
    ['an unknown table', (l: string[]) => [l[0], l[1].replace('settings', 'secrets'), ...l.slice(2)], 'corrupted', /unknown table/],
    ['a broken control line', (l: string[]) => [l[0], '{"$":"table",', ...l.slice(2)], 'corrupted', /not valid JSON/],
    ['no header', (l: string[]) => l.slice(1), 'not-a-backup', /no backup header/],
    ['an empty file', () => [], 'not-a-backup', /empty/],
    [
      'a newer format version',
      (l: string[]) => [JSON.stringify({ ...HEADER, formatVersion: FORMAT_VERSION + 1 }), ...l.slice(1)],
      'newer-format',
      new RegExp(`format version ${FORMAT_VERSION + 1}`),
    ],
  ])('refuses %s', (_, edit, reason, message) => {
    const error = refusal(lines(edit));
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(message);
  });

  it('refuses tables out of foreign-key order', () => {
    const users = [
      JSON.stringify({ $: 'table', table: 'users', columns: ['id'] }),
      JSON.stringify({ $: 'end', table: 'users', count: 0, sha256: sha([]) }),
    ];
    const error = refusal(lines((l) => [l[0], ...users, ...l.slice(1)]));
    expect(error.message).toMatch(/settings is out of order/);
  });
});

describe('BackupParser, stored files (format 2)', () => {
  const KEY = '0193a1b2-0000-7000-8000-000000000001/0193a1b2-0000-7000-8000-000000000002/photo_abcdefghij.png';
  // Two base64 lines: one whole chunk and the rest, as the writer cuts them.
  const BYTES = Buffer.alloc(FILE_CHUNK_BYTES + 10, 7);
  const CHUNKS = [BYTES.subarray(0, FILE_CHUNK_BYTES).toString('base64'), BYTES.subarray(FILE_CHUNK_BYTES).toString('base64')];
  const SHA = createHash('sha256').update(BYTES).digest('hex');
  const FILE_LINE = JSON.stringify({ $: 'file', key: KEY, size: BYTES.length, sha256: SHA, type: 'image/png' });
  const END_LINE = JSON.stringify({ $: 'file-end', key: KEY });
  const row = (key: string, state = 'live', sha256 = SHA) => JSON.stringify({ key, size: BYTES.length, sha256, state });

  function v2(options: { includesFiles?: boolean; rows?: string[]; files?: string[]; trailerFiles?: unknown } = {}): string[] {
    const rows = options.rows ?? [row(KEY), row(`${KEY}x`, 'pending')];
    const files = options.files ?? [FILE_LINE, ...CHUNKS, END_LINE];
    return [
      JSON.stringify({ ...HEADER, formatVersion: 2, includesFiles: options.includesFiles ?? true }),
      JSON.stringify({ $: 'table', table: 'stored_files', columns: ['key', 'size', 'sha256', 'state'] }),
      ...rows,
      JSON.stringify({ $: 'end', table: 'stored_files', count: rows.length, sha256: sha(rows) }),
      ...files,
      JSON.stringify({
        $: 'trailer',
        manifest: {
          counts: { stored_files: rows.length },
          checksums: { stored_files: sha(rows) },
          files: options.trailerFiles ?? { count: 1, bytes: BYTES.length },
        },
        complete: true,
      }),
    ];
  }

  it('hands over each live file’s bytes chunk by chunk and sums them up', () => {
    const parser = new BackupParser();
    const chunks: Buffer[] = [];
    for (const line of v2()) {
      const parsed = parser.feed(line);
      if (parsed.type === 'file-chunk') {
        expect(parsed.key).toBe(KEY);
        chunks.push(parsed.bytes);
      }
    }
    expect(Buffer.concat(chunks).equals(BYTES)).toBe(true);
    expect(parser.finish().files).toEqual({ count: 1, bytes: BYTES.length });
  });

  it('accepts a backup made without files, whose live rows then have no bytes in it', () => {
    expect(parse(v2({ includesFiles: false, files: [], trailerFiles: { count: 0, bytes: 0 } })).files).toEqual({ count: 0, bytes: 0 });
  });

  const flipped = Buffer.from(BYTES);
  flipped[5] ^= 1;
  it.each([
    [
      'changed bytes',
      { files: [FILE_LINE, flipped.subarray(0, FILE_CHUNK_BYTES).toString('base64'), CHUNKS[1], END_LINE] },
      /stored file .*photo_abcdefghij\.png: its bytes .* are not the stored file's/,
    ],
    ['bytes cut short', { files: [FILE_LINE, CHUNKS[0], END_LINE] }, /photo_abcdefghij\.png: its bytes \(49152 bytes/],
    [
      'a file line whose checksum is not its row’s',
      { rows: [row(KEY, 'live', 'f'.repeat(64))] },
      /photo_abcdefghij\.png: its file line says .* its stored_files row/,
    ],
    [
      'a live file without bytes',
      { files: [], trailerFiles: { count: 0, bytes: 0 } },
      /photo_abcdefghij\.png: its bytes are missing from the backup/,
    ],
    ['a file that is not live', { rows: [row(KEY, 'deleting')] }, /photo_abcdefghij\.png is not a live file/],
    ['a file in a backup made without files', { includesFiles: false }, /stored file in a backup made without files/],
    [
      'a line that is not base64',
      { files: [FILE_LINE, 'not base64!', END_LINE] },
      /stored file .*photo_abcdefghij\.png has a line that is not base64/,
    ],
    ['a trailer that miscounts the files', { trailerFiles: { count: 2, bytes: BYTES.length } }, /trailer does not match the stored files/],
  ])('refuses %s, naming the file', (_, options, message) => {
    const error = refusal(v2(options));
    expect(error.reason).toBe('corrupted');
    expect(error.message).toMatch(message);
  });

  it('refuses a table after the stored files', () => {
    const lines = v2();
    const table = [
      JSON.stringify({ $: 'table', table: 'webhooks', columns: ['id'] }),
      JSON.stringify({ $: 'end', table: 'webhooks', count: 0, sha256: sha([]) }),
    ];
    expect(refusal([...lines.slice(0, -1), ...table, lines.at(-1)!]).message).toMatch(/comes after the stored files/);
  });

  it('refuses a format 2 header that does not say whether it holds files', () => {
    const [header, ...rest] = v2();
    const { includesFiles: _, ...without } = JSON.parse(header) as Record<string, unknown>;
    expect(refusal([JSON.stringify(without), ...rest]).message).toMatch(/header is malformed/);
  });
});

describe('schema level', () => {
  it('names every migration the build does not know', () => {
    expect(() => checkKnownSchema(['20261122024813_init', '29991231000000_future'], ['20261122024813_init'], '0.1.0')).toThrow(
      /newer schema: migration 29991231000000_future is not known to this build \(Backlot 0\.1\.0\)/,
    );
    expect(() => checkKnownSchema(['20261122024813_init'], ['20261122024813_init', '20261122042718_auth'], '0.1.0')).not.toThrow();
  });
});

describe('backup names', () => {
  it('are sortable, carry their kind, and nothing else passes', () => {
    const name = backupName('scheduled', new Date('2026-11-22T10:15:00.123Z'));
    expect(name).toMatch(/^backlot-20261122T101500Z-scheduled-[0-9a-f]{8}$/);
    expect(isBackupName(name)).toBe(true);
    expect(kindOf(name)).toBe('scheduled');
    for (const bad of ['../x', `${name}.json`, `${name}/..`, name.toUpperCase(), 'backlot-20261122T101500Z-weekly-1a2b3c4d']) {
      expect(isBackupName(bad)).toBe(false);
    }
  });
});
