import type { RecordChangeEvent } from '../records/record-changes';
import { ReplayBuffer, sizeOfChange } from './replay-buffer';

/** An event whose row weighs about `bytes` as JSON. */
const event = (id: string, bytes = 0) => ({ id, record: { data: { body: 'x'.repeat(bytes) } } }) as unknown as RecordChangeEvent;
const ids = (events: RecordChangeEvent[] | undefined) => events?.map((e) => e.id);
const UNLIMITED = Number.MAX_SAFE_INTEGER;
const push = (buffer: ReplayBuffer, change: RecordChangeEvent) => buffer.push(change, sizeOfChange(change));

describe('ReplayBuffer', () => {
  it('returns the events after a known id, in order', () => {
    const buffer = new ReplayBuffer(5, UNLIMITED);
    for (const id of ['a', 'b', 'c', 'd']) push(buffer, event(id));
    expect(ids(buffer.after('b'))).toEqual(['c', 'd']);
    expect(ids(buffer.after('d'))).toEqual([]);
  });

  it('forgets ids beyond the event count and keeps the newest ones in order', () => {
    const buffer = new ReplayBuffer(3, UNLIMITED);
    for (const id of ['a', 'b', 'c', 'd', 'e']) push(buffer, event(id));
    expect(buffer.after('a')).toBeUndefined();
    expect(buffer.after('b')).toBeUndefined();
    expect(ids(buffer.after('c'))).toEqual(['d', 'e']);
    expect(buffer.after('unknown')).toBeUndefined();
  });

  it('evicts the oldest events once their rows pass the byte budget, however few they are', () => {
    const buffer = new ReplayBuffer(1_000, 3_500);
    for (const id of ['a', 'b', 'c', 'd']) push(buffer, event(id, 1_000));
    // Four rows of ~1 KB do not fit in 3.5 KB: the oldest went, although the count allows 1,000.
    expect(buffer.after('a')).toBeUndefined();
    expect(ids(buffer.after('b'))).toEqual(['c', 'd']);

    push(buffer, event('big', 2_000));
    expect(buffer.after('b')).toBeUndefined();
    expect(buffer.after('c')).toBeUndefined();
    expect(ids(buffer.after('d'))).toEqual(['big']);
  });

  it('holds no event larger than the whole budget: resuming from before it asks for a resync', () => {
    const buffer = new ReplayBuffer(10, 2_000);
    push(buffer, event('a', 10));
    push(buffer, event('huge', 5_000));
    expect(buffer.after('a')).toBeUndefined();
    expect(buffer.after('huge')).toBeUndefined();
    push(buffer, event('b', 10));
    expect(ids(buffer.after('b'))).toEqual([]);
  });

  it('forgets every resume point when cleared, and goes on holding new events', () => {
    const buffer = new ReplayBuffer(10, UNLIMITED);
    for (const id of ['a', 'b']) push(buffer, event(id));
    buffer.clear();
    expect(buffer.after('a')).toBeUndefined();
    expect(buffer.after('b')).toBeUndefined();
    for (const id of ['c', 'd']) push(buffer, event(id));
    expect(ids(buffer.after('c'))).toEqual(['d']);
  });
});
