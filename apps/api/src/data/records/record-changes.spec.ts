import type { ClusterBus } from '@backlot/cache';
import type { Queryable } from '@backlot/database';
import { DomainEvents } from '@backlot/events';
import type { CollectionSchema } from '../collections/collection-schema';
import { type RecordChangeEvent, RecordChanges } from './record-changes';
import type { RecordRow } from './record-row';

/** A bus whose publishes complete only when the test says so. */
class SlowBus {
  readonly sent: RecordChangeEvent[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly waiting: (() => void)[] = [];

  publish(_channel: string, message: unknown): Promise<void> {
    this.sent.push(message as RecordChangeEvent);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => void (this.inFlight -= 1));
  }

  async subscribe(): Promise<() => Promise<void>> {
    return async () => undefined;
  }

  /** Completes every publish in flight and lets the publisher send the next ones. */
  async settle(): Promise<void> {
    for (const resolve of this.waiting.splice(0)) resolve();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const collection = { id: 'c1', name: 'notes' } as CollectionSchema;
const rows = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `r${i}` }) as unknown as RecordRow);
const tx = {} as Queryable;

describe('RecordChanges', () => {
  it('puts a large commit on the bus a bounded number at a time, in commit order', async () => {
    const bus = new SlowBus();
    const changes = new RecordChanges(bus as unknown as ClusterBus, new DomainEvents());
    const local: number[] = [];
    changes.onLocal((events) => void local.push(events.length));

    changes.hold(tx);
    changes.record(collection, 'created', rows(1_000), null, tx);
    changes.record(collection, 'updated', rows(500), null, tx);
    expect(bus.sent).toHaveLength(0);
    changes.release(tx);
    changes.record(collection, 'deleted', rows(10), null, {} as Queryable);

    // Local listeners hear each commit once, whole; the bus gets the changes a window at a time.
    expect(local).toEqual([1_500, 10]);
    while (bus.inFlight > 0) await bus.settle();
    expect(bus.maxInFlight).toBeLessThanOrEqual(64);
    expect(bus.sent).toHaveLength(1_510);
    const order = bus.sent.map((event) => `${event.action}:${event.record.id}`);
    expect(order.slice(0, 2)).toEqual(['created:r0', 'created:r1']);
    expect(order[1_000]).toBe('updated:r0');
    expect(order.slice(-1)).toEqual(['deleted:r9']);
  });
});
