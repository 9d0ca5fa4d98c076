import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImportSpool, type PreparedLine } from './import-spool';

describe('ImportSpool', () => {
  let parent: string;
  beforeEach(() => {
    parent = join(mkdtempSync(join(tmpdir(), 'spool-test-')), 'tmp');
  });
  afterEach(() => rmSync(join(parent, '..'), { recursive: true, force: true }));

  it('gives back what was written, in order, and leaves nothing behind once discarded', async () => {
    const spool = await ImportSpool.create(parent);
    const written: PreparedLine[] = Array.from({ length: 3_000 }, (_, i) => ({
      line: i + 2,
      data: { title: `record ${i}\nwith a line break`, blob: 'x'.repeat(500) },
    }));
    for (const entry of written) await spool.write(entry);
    const read: PreparedLine[] = [];
    for await (const entry of spool.read()) read.push(entry);
    expect(read).toEqual(written);
    await spool.discard();
    expect(existsSync(parent) && readdirSync(parent)).toEqual([]);
  });
});
