/**
 * Stored thumbnails' bytes kept in memory within a byte budget (THUMBS_MEMORY_BYTES), least
 * recently used out first: a hot thumbnail is then served without opening, reading and closing
 * a file (or a round trip to S3). Entries never go stale: a thumbnail's key names one upload's
 * bytes at one size, and a download reaches a thumbnail only through a record still holding
 * that file.
 */
export class ThumbnailBytes {
  private readonly entries = new Map<string, Buffer>();
  private held = 0;

  constructor(private readonly budget: number) {}

  /** Whether a thumbnail of `size` bytes is kept at all: none at budget 0, and none over an eighth of the budget. */
  keeps(size: number): boolean {
    return size > 0 && size <= this.budget / 8;
  }

  get(key: string): Buffer | undefined {
    const bytes = this.entries.get(key);
    if (bytes) {
      this.entries.delete(key);
      this.entries.set(key, bytes);
    }
    return bytes;
  }

  set(key: string, bytes: Buffer): void {
    if (!this.keeps(bytes.length) || this.entries.has(key)) return;
    this.entries.set(key, bytes);
    this.held += bytes.length;
    for (const [oldest, evicted] of this.entries) {
      if (this.held <= this.budget) break;
      this.entries.delete(oldest);
      this.held -= evicted.length;
    }
  }

  /** Bytes held now (at most the budget). */
  get size(): number {
    return this.held;
  }
}
