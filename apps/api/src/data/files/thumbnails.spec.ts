import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { loadConfig } from '@backlot/config';
import { BadRequest, NotFound, ServiceUnavailable, Unprocessable } from '@backlot/http';
import { LocalStorage, type PutOptions, type StoredObject } from '@backlot/storage';
import { fileKey, thumbnailKey } from './file-ref';
import { Thumbnails } from './thumbnails';

/** The real local driver, counting reads and puts and the most puts that ran at the same time. */
class CountingStorage extends LocalStorage {
  reads = 0;
  puts = 0;
  running = 0;
  mostRunning = 0;

  /** Forgets what the test's set-up did. */
  reset() {
    this.reads = this.puts = this.mostRunning = 0;
  }

  override async read(...args: Parameters<LocalStorage['read']>) {
    this.reads++;
    return super.read(...args);
  }

  override async put(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    this.puts++;
    this.mostRunning = Math.max(this.mostRunning, ++this.running);
    try {
      return await super.put(key, body, options);
    } finally {
      this.running--;
    }
  }
}

const COLLECTION = 'c0000000000000000000000001';
const RECORD = 'r0000000000000000000000001';

function solid(width: number, height: number, background = '#c03030') {
  return sharp({ create: { width, height, channels: 3, background } });
}

function noise(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
}

describe('Thumbnails', () => {
  let root: string;
  let storage: CountingStorage;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'thumbs-test-'));
    storage = new CountingStorage(root);
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function thumbnails(env: Record<string, string> = {}) {
    return new Thumbnails(storage, loadConfig({ NODE_ENV: 'test', ...env }));
  }

  /** Stores `bytes` as a file of `type`; returns what ensure takes for its `size` thumbnail. */
  async function stored(name: string, bytes: Buffer, type: string, size: string) {
    const key = fileKey(COLLECTION, RECORD, name);
    await storage.put(key, Readable.from([bytes]), { maxBytes: 1024 ** 3, contentType: type });
    storage.reset();
    return { key, thumbKey: thumbnailKey(COLLECTION, RECORD, name, size), type };
  }

  async function thumbOf(bytes: Buffer, type: string, size: string, name = 'photo_abcdefghij.img') {
    const file = await stored(name, bytes, type, size);
    const made = await thumbnails().ensure(file, size);
    const output = Buffer.concat(await (await storage.read(made.key)).toArray());
    return { made, output, meta: await sharp(output).metadata() };
  }

  describe('formats', () => {
    it.each([
      ['image/jpeg', 'jpeg', () => noise(300, 200).jpeg(), 'image/jpeg', 'jpeg'],
      ['image/png', 'png', () => solid(300, 200).png(), 'image/png', 'png'],
      ['image/webp', 'webp', () => noise(300, 200).webp(), 'image/webp', 'webp'],
      ['image/avif', 'avif', () => noise(300, 200).avif(), 'image/avif', 'heif'],
    ])('makes a %s thumbnail in the same format', async (type, _name, image, thumbType, format) => {
      const { made, output, meta } = await thumbOf(await image().toBuffer(), type, '60x0');

      expect(made).toEqual({ key: thumbnailKey(COLLECTION, RECORD, 'photo_abcdefghij.img', '60x0'), type: thumbType, size: output.length });
      expect(meta).toMatchObject({ format, width: 60, height: 40 });
    });

    it('makes a GIF’s thumbnail of its first frame, as a PNG', async () => {
      const frames = await Promise.all(['#ff0000', '#0000ff', '#00ff00'].map((colour) => solid(90, 60, colour).png().toBuffer()));
      const gif = await sharp(frames, { join: { animated: true } })
        .gif()
        .toBuffer();
      expect((await sharp(gif).metadata()).pages).toBe(3);

      const { made, output, meta } = await thumbOf(gif, 'image/gif', '30x0');

      expect(made.type).toBe('image/png');
      expect(meta).toMatchObject({ format: 'png', width: 30, height: 20 });
      expect(meta.pages ?? 1).toBe(1);
      const { data } = await sharp(output).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      expect([...data.subarray(0, 3)]).toEqual([255, 0, 0]);
    });
  });

  describe('sizes', () => {
    it.each([
      ['100x100', 100, 100],
      ['150x0', 150, 100],
      ['0x50', 75, 50],
      ['120x40', 120, 40],
    ])('fits a 300×200 image to %s (both sides: cover crop; one side 0: aspect kept)', async (size, width, height) => {
      const { meta } = await thumbOf(await solid(300, 200).png().toBuffer(), 'image/png', size);

      expect([meta.width, meta.height]).toEqual([width, height]);
    });

    it.each([
      ['200x200', 80, 60],
      ['400x0', 80, 60],
      ['0x1000', 80, 60],
      ['60x100', 60, 60],
    ])('never enlarges an 80×60 image (%s)', async (size, width, height) => {
      const { meta } = await thumbOf(await solid(80, 60).png().toBuffer(), 'image/png', size);

      expect([meta.width, meta.height]).toEqual([width, height]);
    });
  });

  describe('made once', () => {
    it('stores a thumbnail once and returns the stored one afterwards, without rendering again', async () => {
      const file = await stored('photo_abcdefghij.jpg', await noise(400, 300).jpeg().toBuffer(), 'image/jpeg', '100x100');
      const service = thumbnails();

      const first = await service.ensure(file, '100x100');
      const modified = (await storage.stat(first.key))?.modified;
      await new Promise((resolve) => setTimeout(resolve, 20));
      const second = await thumbnails().ensure(file, '100x100');

      expect(second).toEqual(first);
      expect(storage.puts).toBe(1);
      expect(storage.reads).toBe(1);
      expect((await storage.stat(first.key))?.modified).toEqual(modified);
    });

    it('keeps small thumbnails’ bytes in memory (one storage read), within THUMBS_MEMORY_BYTES', async () => {
      const file = await stored('photo_abcdefghij.jpg', await noise(400, 300).jpeg().toBuffer(), 'image/jpeg', '100x100');
      const service = thumbnails();
      const made = await service.ensure(file, '100x100');
      const storedBytes = Buffer.concat(await (await storage.read(made.key)).toArray());
      storage.reset();

      expect((await service.bytesOf(made))?.equals(storedBytes)).toBe(true);
      expect((await service.bytesOf(made))?.equals(storedBytes)).toBe(true);
      expect(storage.reads).toBe(1);

      // Off, or over an eighth of the budget: streamed from storage each time instead.
      expect(await thumbnails({ THUMBS_MEMORY_BYTES: '0' }).bytesOf(made)).toBeUndefined();
      expect(await thumbnails({ THUMBS_MEMORY_BYTES: String(made.size * 8 - 8) }).bytesOf(made)).toBeUndefined();
      expect(storage.reads).toBe(1);
    });

    it('shares one render among 10 parallel requests for the same thumbnail', async () => {
      const file = await stored('photo_abcdefghij.jpg', await noise(1200, 900).jpeg().toBuffer(), 'image/jpeg', '200x0');
      const service = thumbnails();

      const results = await Promise.all(Array.from({ length: 10 }, () => service.ensure(file, '200x0')));

      expect(new Set(results.map((result) => JSON.stringify(result))).size).toBe(1);
      expect(storage.reads).toBe(1);
      expect(storage.puts).toBe(1);
    });
  });

  describe('concurrency', () => {
    const SIZES = ['10x0', '20x0', '30x0', '40x0', '50x0', '60x0'];

    it('renders at most THUMBS_CONCURRENCY at a time and queues the rest', async () => {
      const source = await noise(1600, 1200).jpeg().toBuffer();
      const files = await Promise.all(SIZES.map((size, i) => stored(`photo_abcdefghi${i}.jpg`, source, 'image/jpeg', size)));
      const service = thumbnails({ THUMBS_CONCURRENCY: '2', THUMBS_MAX_QUEUE: '10' });
      storage.reset();

      const made = await Promise.all(files.map((file, i) => service.ensure(file, SIZES[i])));

      expect(made.map((thumb) => thumb.size > 0)).toEqual(SIZES.map(() => true));
      expect(storage.puts).toBe(6);
      expect(storage.mostRunning).toBe(2);
    });

    it('turns requests away with 503 and Retry-After once the queue is full', async () => {
      const source = await noise(1600, 1200).jpeg().toBuffer();
      const files = await Promise.all(SIZES.slice(0, 5).map((size, i) => stored(`photo_abcdefghi${i}.jpg`, source, 'image/jpeg', size)));
      const service = thumbnails({ THUMBS_CONCURRENCY: '1', THUMBS_MAX_QUEUE: '2' });
      storage.reset();

      const outcomes = await Promise.allSettled(files.map((file, i) => service.ensure(file, SIZES[i])));

      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(3);
      const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
      expect(refused).toHaveLength(2);
      for (const error of refused) {
        expect(error).toBeInstanceOf(ServiceUnavailable);
        expect((error as ServiceUnavailable).extensions.retryAfter).toBeGreaterThanOrEqual(1);
      }
      expect(storage.mostRunning).toBe(1);
      // The slots came back: a later request renders.
      await expect(service.ensure(files[3], SIZES[3])).resolves.toMatchObject({ type: 'image/jpeg' });
    });
  });

  describe('refused images', () => {
    async function refusal(bytes: Buffer, type: string, env: Record<string, string> = {}) {
      const file = await stored('photo_abcdefghij.img', bytes, type, '100x100');
      const error = await thumbnails(env)
        .ensure(file, '100x100')
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error).toBeInstanceOf(Unprocessable);
      expect(await storage.stat(file.thumbKey)).toBeNull();
      expect(readdirSync(join(root, '.partial'), { withFileTypes: true }).filter((entry) => entry.isFile())).toEqual([]);
      return error as Unprocessable;
    }

    it('refuses a decompression bomb (a small PNG of 100 megapixels) as too large', async () => {
      const bomb = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#ffffff' }, limitInputPixels: false })
        .png({ compressionLevel: 1 })
        .toBuffer();
      expect(bomb.length).toBeLessThan(4 * 1024 ** 2);

      const error = await refusal(bomb, 'image/png');

      expect(error.message).toMatch(/more than 50,000,000 pixels: too large to thumbnail/);
      expect(error.errors).toEqual([{ path: 'file', code: 'imageTooLarge', message: error.message }]);
    }, 30_000);

    it('takes its pixel limit from THUMBS_MAX_INPUT_PIXELS', async () => {
      const error = await refusal(await solid(1200, 1000).png().toBuffer(), 'image/png', { THUMBS_MAX_INPUT_PIXELS: '1000000' });

      expect(error.errors[0].code).toBe('imageTooLarge');
    });

    it('abandons a render past THUMBS_TIMEOUT_SECONDS', async () => {
      // Random pixels at full size: a 12-megapixel AVIF encode of noise takes many seconds on any
      // machine this runs on, far past the 1 s limit (the smallest there is).
      const [width, height] = [4_000, 3_000];
      const avif = await sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
        .avif({ effort: 0 })
        .toBuffer();
      const file = await stored('photo_abcdefghij.avif', avif, 'image/avif', '4096x0');

      const error = await thumbnails({ THUMBS_TIMEOUT_SECONDS: '1' })
        .ensure(file, '4096x0')
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(Unprocessable);
      // Only sharp's timeout answers imageTooSlow (no wall-clock bound: a loaded machine would make it flaky).
      expect((error as Unprocessable).errors[0].code).toBe('imageTooSlow');
      expect(await storage.stat(file.thumbKey)).toBeNull();
    }, 30_000);

    it('refuses a truncated JPEG as unreadable', async () => {
      const jpeg = await noise(600, 400).jpeg().toBuffer();

      const error = await refusal(jpeg.subarray(0, jpeg.length / 2), 'image/jpeg');

      expect(error.errors[0].code).toBe('imageUnreadable');
      expect(error.message).toMatch(/corrupt or truncated/);
    });

    it('refuses a PNG whose data is garbage after a valid header', async () => {
      const png = await noise(200, 200).png().toBuffer();
      const corrupt = Buffer.concat([png.subarray(0, 100), Buffer.alloc(png.length - 100, 0x5a)]);

      expect((await refusal(corrupt, 'image/png')).errors[0].code).toBe('imageUnreadable');
    });

    it('refuses bytes that are not an image of their type (an SVG stored as image/png) before sharp sees them', async () => {
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');

      const error = await refusal(svg, 'image/png');

      expect(error.message).toBe('The file is not an image of type image/png.');
    });
  });

  it('applies EXIF orientation and strips every piece of metadata', async () => {
    const jpeg = await solid(300, 200)
      .jpeg()
      .withMetadata({ orientation: 6 })
      .withExif({ IFD0: { Make: 'Backlot Camera', Copyright: 'secret' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 0/1' } })
      .toBuffer();
    const input = await sharp(jpeg).metadata();
    expect(input).toMatchObject({ orientation: 6, width: 300, height: 200 });
    expect(input.exif?.toString('latin1')).toContain('Backlot Camera');

    const { meta, output } = await thumbOf(jpeg, 'image/jpeg', '100x0');

    expect([meta.width, meta.height]).toEqual([100, 150]);
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.iptc).toBeUndefined();
    expect(output.toString('latin1')).not.toContain('Backlot Camera');
  });

  describe('requests it does not serve', () => {
    it('refuses a size that is not WxH and a type it makes no thumbnails of', async () => {
      const file = await stored('notes_abcdefghij.txt', Buffer.from('hello'), 'text/plain', '100x100');

      await expect(thumbnails().ensure({ ...file, type: 'image/png' }, '100')).rejects.toBeInstanceOf(BadRequest);
      await expect(thumbnails().ensure({ ...file, type: 'image/png' }, '0x0')).rejects.toBeInstanceOf(BadRequest);
      await expect(thumbnails().ensure(file, '100x100')).rejects.toBeInstanceOf(BadRequest);
      expect(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'].every((type) => Thumbnails.canThumb(type))).toBe(true);
      expect(['image/svg+xml', 'image/tiff', 'text/plain', 'constructor'].some((type) => Thumbnails.canThumb(type))).toBe(false);
      expect(storage.reads).toBe(0);
    });

    it('answers NotFound when the file’s bytes are gone', async () => {
      const file = {
        key: fileKey(COLLECTION, RECORD, 'gone_abcdefghij.png'),
        thumbKey: thumbnailKey(COLLECTION, RECORD, 'gone_abcdefghij.png', '10x10'),
      };

      await expect(thumbnails().ensure({ ...file, type: 'image/png' }, '10x10')).rejects.toBeInstanceOf(NotFound);
    });
  });
});
