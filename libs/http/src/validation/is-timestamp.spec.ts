import { validateSync } from 'class-validator';
import { IsTimestamp } from './is-timestamp';

class Probe {
  @IsTimestamp()
  at!: string;
}

const errorsFor = (at: unknown) => validateSync(Object.assign(new Probe(), { at }));

describe('IsTimestamp', () => {
  it.each(['2026-11-01T00:00:00Z', '2026-11-01T00:00Z', '2026-11-01T10:20:30.123456+02:00', '2026-11-01'])(
    'accepts %s, which Date reads',
    (at) => {
      expect(errorsFor(at)).toEqual([]);
      expect(Number.isNaN(new Date(at).getTime())).toBe(false);
    },
  );

  it.each([
    '2026-W01',
    '2026-W01-1',
    '20261101',
    '2026-306',
    '2026-02-31T00:00:00Z',
    '2026-11-01T25:00:00Z',
    '2026-11-01 00:00',
    'yesterday',
    '',
  ])('refuses %s', (at) => expect(errorsFor(at)).toHaveLength(1));

  it('refuses values that are not strings', () => {
    expect(errorsFor(1_700_000_000)).toHaveLength(1);
    expect(errorsFor({})).toHaveLength(1);
  });
});
