import type { RecordChangeEvent } from '../records/record-changes';

/**
 * The last change events this instance saw, in the order it delivered them, so a client
 * that reconnects with Last-Event-ID gets what it missed. Bounded twice: at most `maxEvents`
 * events and at most `maxBytes` of rows (measured as their JSON), so a few large records
 * cannot hold the memory that many small ones would. The oldest go first; an id that is no
 * longer held (evicted, or `clear`ed after a gap) asks for a resync.
 */
export class ReplayBuffer {
  /** Sequence number (position in this instance's whole history) → event. */
  private readonly events = new Map<number, { event: RecordChangeEvent; bytes: number }>();
  private readonly positions = new Map<string, number>();
  private oldest = 0;
  private next = 0;
  private bytes = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {}

  /** `bytes`: the event's `sizeOfChange`, measured once by the caller. */
  push(event: RecordChangeEvent, bytes: number): void {
    this.events.set(this.next, { event, bytes });
    this.positions.set(event.id, this.next);
    this.next += 1;
    this.bytes += bytes;
    // A single event larger than the whole budget is not held either: resuming from before it asks for a resync.
    while (this.events.size > this.maxEvents || this.bytes > this.maxBytes) this.evictOldest();
  }

  /** The events after `id`, oldest first; undefined when `id` is not (or no longer) held. */
  after(id: string): RecordChangeEvent[] | undefined {
    const position = this.positions.get(id);
    if (position === undefined) return undefined;
    const events: RecordChangeEvent[] = [];
    for (let at = position + 1; at < this.next; at += 1) events.push(this.events.get(at)!.event);
    return events;
  }

  /** Forgets everything (events were lost before they got here): every resume point asks for a resync. */
  clear(): void {
    this.events.clear();
    this.positions.clear();
    this.oldest = this.next;
    this.bytes = 0;
  }

  private evictOldest(): void {
    const entry = this.events.get(this.oldest)!;
    this.events.delete(this.oldest);
    this.positions.delete(entry.event.id);
    this.bytes -= entry.bytes;
    this.oldest += 1;
  }
}

/** The row's JSON length: what the bus carried, and close to what the parsed row weighs. */
export function sizeOfChange(event: RecordChangeEvent): number {
  return JSON.stringify(event.record).length;
}
