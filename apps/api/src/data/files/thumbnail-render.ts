import { type Readable, Transform, type TransformCallback } from 'node:stream';
import type sharpModule from 'sharp';

type OutputFormat = 'jpeg' | 'png' | 'webp' | 'avif';

/**
 * What a thumbnail of each source type is encoded as. A GIF's thumbnail is its first frame as a
 * PNG: an animated thumbnail costs a decode and encode per frame (CPU and bytes many times a
 * still's), and a resized frame has colours GIF would have to quantise back to 256, where PNG
 * keeps them and is shown everywhere. Animated WebP and AVIF likewise give their first frame, in their own format.
 * AVIF stays AVIF, encoded at effort 2. Measured here (one libvips thread, a 12-megapixel photo
 * of noise, the worst case): to 480 px 0.28 s (WebP 0.17 s, JPEG 0.15 s), to 1024 px 0.55 s
 * (WebP 0.37 s); sharp's default effort 4 took 0.74 s and 5.7 s, for at most half the bytes.
 * Made once and stored, effort 2 is cheap enough, and still smaller than WebP.
 */
const OUTPUT: Readonly<Record<string, { format: OutputFormat; type: string }>> = {
  'image/jpeg': { format: 'jpeg', type: 'image/jpeg' },
  'image/png': { format: 'png', type: 'image/png' },
  'image/webp': { format: 'webp', type: 'image/webp' },
  'image/gif': { format: 'png', type: 'image/png' },
  'image/avif': { format: 'avif', type: 'image/avif' },
};

/** The media type of a thumbnail of a `sourceType` file; undefined when none is made of that type. */
export function thumbnailType(sourceType: string): string | undefined {
  return Object.hasOwn(OUTPUT, sourceType) ? OUTPUT[sourceType].type : undefined;
}

export interface RenderLimits {
  maxInputPixels: number;
  timeoutSeconds: number;
}

/** The box a thumbnail fits: both sides set → cropped to cover it; one side 0 → that side follows the aspect ratio. */
export interface ThumbBox {
  width: number;
  height: number;
}

export type RefusalReason = 'not-this-type' | 'too-many-pixels' | 'unreadable' | 'too-slow';

/** The source cannot be thumbnailed: it is not the image its type says, too large, corrupt, or took too long. */
export class ImageRefused extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
    this.name = 'ImageRefused';
  }
}

/**
 * Renders the thumbnail of `source` (a stored file of type `sourceType`) into `box` and hands the
 * encoded stream to `store`, which must consume it (a Storage put); resolves with what `store`
 * resolves with. The source streams into sharp (which gathers the compressed bytes to decode
 * them) and the thumbnail streams out of it: no output is held here. Errors of the image become
 * ImageRefused; errors of the source or of `store` pass through unchanged.
 */
export async function renderThumbnail<T>(
  source: Readable,
  sourceType: string,
  box: ThumbBox,
  limits: RenderLimits,
  store: (thumbnail: Readable) => Promise<T>,
): Promise<T> {
  if (!Object.hasOwn(OUTPUT, sourceType)) throw new ImageRefused('not-this-type', `No thumbnails are made of ${sourceType} files.`);
  const output = OUTPUT[sourceType];
  const check = new SignatureCheck(sourceType);
  const sharp = await loadSharp();
  const image = sharp({
    limitInputPixels: limits.maxInputPixels,
    autoOrient: true,
    // Truncated or corrupt pixel data aborts; mere warnings (stray bytes after a JPEG's end, as
    // some cameras write) do not: a photo every browser shows should get its thumbnail.
    failOn: 'error',
    pages: 1,
  })
    .resize({ width: box.width || undefined, height: box.height || undefined, fit: 'cover', withoutEnlargement: true })
    .timeout({ seconds: limits.timeoutSeconds });
  // No keepMetadata/withMetadata: sharp writes no EXIF (GPS included), XMP, IPTC or ICC, and converts to sRGB.
  if (output.format === 'avif') image.avif({ effort: 2 });
  else image.toFormat(output.format);

  let sourceError: unknown;
  let imageError: unknown;
  // `on`, not `once`: a stream may emit a second error, which would crash the process unheard.
  source.on('error', (error) => {
    sourceError ??= error;
    image.destroy(error);
  });
  check.on('error', (error) => image.destroy(error));
  image.on('error', (error) => (imageError ??= error));
  // When the store gives up (or the image fails) the source must not stay open.
  image.once('close', () => source.destroy());
  source.pipe(check).pipe(image);

  try {
    return await store(image);
  } catch (error) {
    throw error !== sourceError && error === imageError ? refusal(error, limits) : error;
  }
}

/**
 * sharp's own failures are plain Errors; what else reaches the image stream (a disk error of the
 * store, a size limit, an abort) is a system error with a code or an Error subclass, and passes through.
 */
function refusal(error: unknown, limits: RenderLimits): unknown {
  if (error instanceof ImageRefused) return error;
  if (!(error instanceof Error) || error.constructor !== Error || 'code' in error) return error;
  if (/exceeds pixel limit/i.test(error.message))
    return new ImageRefused(
      'too-many-pixels',
      `The image has more than ${limits.maxInputPixels.toLocaleString('en')} pixels: too large to thumbnail.`,
    );
  // libvips may list other complaints before it (`source: bad seek …`), one per line.
  if (/^timeout: /m.test(error.message))
    return new ImageRefused('too-slow', `Making this thumbnail took longer than ${limits.timeoutSeconds} s; it was abandoned.`);
  return new ImageRefused('unreadable', 'The image cannot be decoded (corrupt or truncated), so it has no thumbnail.');
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const HEAD_BYTES = 64;

/** Whether `head` (the first bytes) starts an image of `type`. */
const SIGNATURES: Readonly<Record<string, (head: Buffer) => boolean>> = {
  'image/jpeg': (head) => head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff,
  'image/png': (head) => head.subarray(0, 8).equals(PNG_SIGNATURE),
  'image/gif': (head) => ['GIF87a', 'GIF89a'].includes(head.toString('latin1', 0, 6)),
  'image/webp': (head) => head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP',
  'image/avif': isAvif,
};

/** An ISO-BMFF `ftyp` box whose major or one of whose compatible brands is AVIF. */
function isAvif(head: Buffer): boolean {
  if (head.length < 16 || head.toString('latin1', 4, 8) !== 'ftyp') return false;
  const boxEnd = Math.min(head.readUInt32BE(0), head.length);
  for (let at = 8; at + 4 <= boxEnd; at += at === 8 ? 8 : 4) {
    if (['avif', 'avis'].includes(head.toString('latin1', at, at + 4))) return true;
  }
  return false;
}

/**
 * Passes the bytes through once their first ones match the file's type. sharp would decode any
 * format libvips knows (SVG, PDF, TIFF …); only the five thumbnail types may reach it.
 */
class SignatureCheck extends Transform {
  private head: Buffer[] = [];
  private headLength = 0;
  private checked = false;

  constructor(private readonly type: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.checked) return done(null, chunk);
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength < HEAD_BYTES) return done();
    this.release(done);
  }

  override _flush(done: TransformCallback): void {
    if (this.checked) return done();
    this.release(done);
  }

  private release(done: TransformCallback): void {
    this.checked = true;
    const head = Buffer.concat(this.head);
    this.head = [];
    if (!SIGNATURES[this.type](head)) return done(new ImageRefused('not-this-type', `The file is not an image of type ${this.type}.`));
    done(null, head);
  }
}

let sharpLoading: Promise<typeof sharpModule> | undefined;

/**
 * sharp, with libvips (~8 MB resident), is loaded at the first thumbnail rather than at start:
 * a server that makes none never pays for it. Its settings are process-wide: one libvips thread
 * per render (THUMBS_CONCURRENCY is then the number of cores thumbnails may take), and no
 * operation cache (every render reads a new stream once, so the cache would only hold memory,
 * up to 50 MB by default).
 */
function loadSharp(): Promise<typeof sharpModule> {
  sharpLoading ??= import('sharp').then(({ default: sharp }) => {
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  });
  return sharpLoading;
}
