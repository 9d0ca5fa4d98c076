import { ClusterBus } from '@backlot/cache';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { eventually } from '../helpers/test-jobs';

// Across instances (Redis pub/sub) this is proven in instances.e2e-spec.ts; here, one instance.
describe('the cluster bus on one instance', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('delivers a published message to every subscriber of the channel, and to no other', async () => {
    const bus = t.app.get(ClusterBus);
    const seen: string[] = [];
    const stopFirst = await bus.subscribe('test.one', (message) => seen.push(`first:${(message as { v: string }).v}`));
    const stopSecond = await bus.subscribe('test.one', (message) => seen.push(`second:${(message as { v: string }).v}`));
    const stopOther = await bus.subscribe('test.other', () => seen.push('other'));

    await bus.publish('test.one', { v: 'a' });
    await eventually('delivery', () => seen.length === 2);
    expect(seen.sort()).toEqual(['first:a', 'second:a']);

    await stopFirst();
    await bus.publish('test.one', { v: 'b' });
    await eventually('delivery to the remaining subscriber', () => seen.length === 3);
    expect(seen[2]).toBe('second:b');
    await stopSecond();
    await stopOther();
  });

  it('refuses channel names that could collide with other keys', async () => {
    await expect(t.app.get(ClusterBus).publish('bad channel*', {})).rejects.toThrow(/Invalid channel/);
  });
});
