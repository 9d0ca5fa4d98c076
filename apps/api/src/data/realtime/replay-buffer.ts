import type { RecordChangeEvent } from '../records/record-changes';

/**
 * The last `size` change events this instance saw, in the order it delivered them, so a
 * client that reconnects with Last-Event-ID gets what it missed. A fixed ring: memory stays
 * bounded however busy the instance is; an id that fell out of it asks for a resync.
 */
export class ReplayBuffer {
  private readonly ring: (RecordChangeEvent | undefined)[];
  /** Event id → its sequence number (position in the whole history of this instance). */
  private readonly positions = new Map<string, number>();
  private next = 0;

  constructor(private readonly size: number) {
    this.ring = new Array<RecordChangeEvent | undefined>(size);
  }

  push(event: RecordChangeEvent): void {
    const slot = this.next % this.size;
    const evicted = this.ring[slot];
    if (evicted) this.positions.delete(evicted.id);
    this.ring[slot] = event;
    this.positions.set(event.id, this.next);
    this.next += 1;
  }

  /** The events after `id`, oldest first; undefined when `id` is not (or no longer) held. */
  after(id: string): RecordChangeEvent[] | undefined {
    const position = this.positions.get(id);
    if (position === undefined) return undefined;
    const events: RecordChangeEvent[] = [];
    for (let at = position + 1; at < this.next; at += 1) events.push(this.ring[at % this.size]!);
    return events;
  }
}
