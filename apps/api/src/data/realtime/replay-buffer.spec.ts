import type { RecordChangeEvent } from '../records/record-changes';
import { ReplayBuffer } from './replay-buffer';

const event = (id: string) => ({ id }) as RecordChangeEvent;
const ids = (events: RecordChangeEvent[] | undefined) => events?.map((e) => e.id);

describe('ReplayBuffer', () => {
  it('returns the events after a known id, in order', () => {
    const buffer = new ReplayBuffer(5);
    for (const id of ['a', 'b', 'c', 'd']) buffer.push(event(id));
    expect(ids(buffer.after('b'))).toEqual(['c', 'd']);
    expect(ids(buffer.after('d'))).toEqual([]);
  });

  it('forgets ids that fell out of the ring and keeps the newest ones in order', () => {
    const buffer = new ReplayBuffer(3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) buffer.push(event(id));
    expect(buffer.after('a')).toBeUndefined();
    expect(buffer.after('b')).toBeUndefined();
    expect(ids(buffer.after('c'))).toEqual(['d', 'e']);
    expect(buffer.after('unknown')).toBeUndefined();
  });
});
