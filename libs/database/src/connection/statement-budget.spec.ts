import { setTimeout as sleep } from 'node:timers/promises';
import { currentStatementBudget, withStatementBudget } from './postgres-pool';

describe('withStatementBudget', () => {
  it('gives the budget to the work’s awaited calls, and none outside it', async () => {
    const seen = await withStatementBudget(60_000, async () => {
      await sleep(1);
      return currentStatementBudget();
    });
    expect(seen).toBe(60_000);
    expect(currentStatementBudget()).toBeUndefined();
  });

  it('keeps each concurrent work’s own budget when another one ends first', async () => {
    let releaseLong!: () => void;
    const long = withStatementBudget(2_000, async () => {
      await new Promise<void>((resolve) => (releaseLong = resolve));
      await sleep(1);
      return currentStatementBudget();
    });
    expect(await withStatementBudget(1_000, async () => currentStatementBudget())).toBe(1_000);
    releaseLong();
    expect(await long).toBe(2_000);
  });

  it('restores the outer budget after nested work, and is enabled again by the next work', async () => {
    const seen = await withStatementBudget(3_000, async () => {
      const inner = await withStatementBudget(4_000, async () => currentStatementBudget());
      await sleep(1);
      return [inner, currentStatementBudget()];
    });
    expect(seen).toEqual([4_000, 3_000]);
    expect(await withStatementBudget(5_000, async () => (await sleep(1), currentStatementBudget()))).toBe(5_000);
  });

  it('ends the budget when the work throws', async () => {
    await expect(withStatementBudget(6_000, () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(currentStatementBudget()).toBeUndefined();
    expect(await withStatementBudget(7_000, async () => currentStatementBudget())).toBe(7_000);
  });
});
