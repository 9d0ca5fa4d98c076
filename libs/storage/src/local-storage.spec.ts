import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { LocalStorage } from './local-storage';
import { ObjectNotFound, ObjectTooLarge, storageKey } from './storage';

describe('LocalStorage', () => {
  let root: string;
  let storage: LocalStorage;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'backlot-storage-'));
    storage = new LocalStorage(join(root, 'storage'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const put = (key: string, body: string | Readable, maxBytes = 1_000) =>
    storage.put(key, typeof body === 'string' ? Readable.from([Buffer.from(body)]) : body, { maxBytes, contentType: 'text/plain' });

  it('stores a stream and reads it back whole or by range, with its size and SHA-256', async () => {
    const stored = await put('c/r/hello.txt', 'hello, world');
    expect(stored).toEqual({ size: 12, sha256: '09ca7e4eaa6e8ae9c7d261167129184883644d07dfba7cbfbc4c8a2e08360d5b' });
    expect(await text(await storage.read('c/r/hello.txt'))).toBe('hello, world');
    expect(await text(await storage.read('c/r/hello.txt', { start: 7, end: 11 }))).toBe('world');
    expect((await storage.stat('c/r/hello.txt'))?.size).toBe(12);
  });

  it('keeps files and directories owner-only', async () => {
    await put('c/r/private.txt', 'x');
    expect(statSync(join(root, 'storage', 'c', 'r', 'private.txt')).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'storage', 'c', 'r')).mode & 0o777).toBe(0o700);
  });

  it('stops an upload past maxBytes and leaves nothing, not even a partial file', async () => {
    const endless = Readable.from(
      (function* () {
        for (let i = 0; i < 100; i++) yield Buffer.alloc(100, 1);
      })(),
    );
    await expect(put('c/r/big.bin', endless, 1_000)).rejects.toBeInstanceOf(ObjectTooLarge);
    expect(await storage.stat('c/r/big.bin')).toBeNull();
    expect(readdirSync(join(root, 'storage', '.partial'))).toEqual([]);
  });

  it('makes its partial-uploads folder again when it was removed under it (one put fails, the next works)', async () => {
    await put('c/r/first.txt', 'one');
    rmSync(join(root, 'storage', '.partial'), { recursive: true });
    await expect(put('c/r/second.txt', 'two')).rejects.toMatchObject({ code: 'ENOENT' });
    await put('c/r/third.txt', 'three');
    expect(await text(await storage.read('c/r/third.txt'))).toBe('three');
  });

  it('lists objects under a prefix, never partial uploads, and deletes them', async () => {
    await put('c1/r1/a.txt', 'a');
    await put('c1/r2/b.txt', 'bb');
    await put('c2/r3/c.txt', 'ccc');
    const listed = [];
    for await (const object of storage.list('c1/')) listed.push([object.key, object.size]);
    expect(listed.sort()).toEqual([
      ['c1/r1/a.txt', 1],
      ['c1/r2/b.txt', 2],
    ]);
    await storage.delete(['c1/r1/a.txt', 'c1/r1/missing.txt']);
    await expect(storage.read('c1/r1/a.txt')).rejects.toBeInstanceOf(ObjectNotFound);
  });

  it('builds keys only from safe parts', () => {
    expect(storageKey('col', 'rec', 'photo_ab12.jpg')).toBe('col/rec/photo_ab12.jpg');
    for (const bad of ['..', '../x', 'a/b', '.hidden', '', 'a\u0000b']) expect(() => storageKey('c', bad)).toThrow(/Invalid storage key/);
  });
});
