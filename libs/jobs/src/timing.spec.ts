import { nextSlot, retryDelayMs } from './timing';

describe('retryDelayMs', () => {
  it('doubles the base per attempt', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(10, attempt, middle))).toEqual([10_000, 20_000, 40_000, 80_000]);
  });

  it('spreads retries by ±20%', () => {
    expect(retryDelayMs(10, 1, () => 0)).toBe(8_000);
    expect(retryDelayMs(10, 1, () => 0.999_999)).toBe(12_000);
  });

  it('never waits longer than an hour (plus jitter)', () => {
    expect(retryDelayMs(10, 40, () => 0.5)).toBe(3_600_000);
  });
});

describe('nextSlot', () => {
  it('finds the next slot in UTC, strictly after the given time', () => {
    expect(nextSlot('0 3 * * *', new Date('2026-11-22T03:00:00.000Z')).toISOString()).toBe('2026-11-23T03:00:00.000Z');
    expect(nextSlot('0 3 * * *', new Date('2026-11-22T02:59:59.999Z')).toISOString()).toBe('2026-11-22T03:00:00.000Z');
  });

  it('understands a seconds field', () => {
    expect(nextSlot('*/2 * * * * *', new Date('2026-11-22T10:00:00.500Z')).toISOString()).toBe('2026-11-22T10:00:02.000Z');
  });
});
