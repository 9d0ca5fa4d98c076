import { createHash } from 'node:crypto';
import { InvalidBackup } from './backup-errors';
import { backupName, isBackupName, kindOf } from './backup-format';
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
      (l: string[]) => [JSON.stringify({ ...HEADER, formatVersion: 2 }), ...l.slice(1)],
      'newer-format',
      /format version 2/,
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
