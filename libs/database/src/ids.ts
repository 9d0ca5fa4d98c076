import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

/**
 * Random bytes for many ids at once. uuid's own source asks the kernel for 16 bytes per id, a
 * system call each time: three ids per record create made it 9% of the create's CPU. Node's
 * randomUUID buffers its random bytes the same way.
 */
const POOL_BYTES = 4_096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

/** The last id's time and counter: ids made in one millisecond follow each other (uuid's rule). */
const last = { msecs: -Infinity, seq: 0 };

/**
 * A new UUIDv7: the time in milliseconds, then a counter that starts at random in each
 * millisecond and counts up within it, then random bits. Ids sort in the order this process
 * made them, which is what "creation order" means for records.
 */
export function newId(): string {
  if (used + 16 > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const random = pool.subarray(used, (used += 16));
  const now = Date.now();
  if (now > last.msecs) {
    last.msecs = now;
    last.seq = ((random[6] & 0x7f) << 24) | (random[7] << 16) | (random[8] << 8) | random[9];
  } else {
    last.seq = (last.seq + 1) | 0;
    if (last.seq === 0) last.msecs++; // the counter ran over: borrow the next millisecond
  }
  return v7({ msecs: last.msecs, seq: last.seq, random });
}
