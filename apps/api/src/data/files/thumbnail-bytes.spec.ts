import { ThumbnailBytes } from './thumbnail-bytes';

const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);

describe('ThumbnailBytes', () => {
  it('keeps thumbnails within its budget, dropping the least recently used first', () => {
    const cache = new ThumbnailBytes(800);
    cache.set('a', bytes(100, 1));
    cache.set('b', bytes(100, 2));
    cache.set('c', bytes(100, 3));
    expect(cache.get('a')?.[0]).toBe(1); // a is now the most recently used
    for (const key of ['d', 'e', 'f', 'g', 'h']) cache.set(key, bytes(100));
    cache.set('i', bytes(100));
    expect(cache.size).toBeLessThanOrEqual(800);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.[0]).toBe(1);
    expect(cache.get('i')).toBeDefined();
  });

  it('keeps nothing over an eighth of its budget, nothing empty, and nothing at budget 0', () => {
    const cache = new ThumbnailBytes(800);
    cache.set('big', bytes(101));
    cache.set('empty', bytes(0));
    expect([cache.get('big'), cache.get('empty'), cache.size]).toEqual([undefined, undefined, 0]);
    const none = new ThumbnailBytes(0);
    none.set('a', bytes(1));
    expect([none.keeps(1), none.get('a')]).toEqual([false, undefined]);
  });

  it('counts a key set twice once', () => {
    const cache = new ThumbnailBytes(800);
    cache.set('a', bytes(100));
    cache.set('a', bytes(100));
    expect(cache.size).toBe(100);
  });
});
