import { types } from 'pg';
import { connectionTypes, parseTimestamptz } from './timestamps';

const pgParse = types.getTypeParser(1184, 'text') as (text: string) => unknown;

/** What PostgreSQL writes for `time` in a UTC session, with `digits` of the microseconds it keeps. */
function asPostgresWrites(time: number, micros: number, digits: number): string {
  const iso = new Date(time).toISOString(); // 2026-12-07T08:05:01.123Z
  const fraction = `${iso.slice(20, 23)}${String(micros).padStart(3, '0')}`.slice(0, digits);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''}+00`;
}

describe('parseTimestamptz', () => {
  it('reads what pg’s parser reads, for any instant and fraction length', () => {
    let seed = 42;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 5_000; i++) {
      const time = Math.floor(Date.UTC(100, 0, 1) + random() * (Date.UTC(9999, 11, 31) - Date.UTC(100, 0, 1)));
      const text = asPostgresWrites(time, Math.floor(random() * 1000), i % 7);
      expect([text, parseTimestamptz(text)]).toEqual([text, pgParse(text)]);
    }
  });

  it.each([
    '2026-12-07 08:05:01+00',
    '2026-12-07 08:05:01.5+00',
    '2026-12-07 08:05:01.999999+00',
    '2026-12-07 10:05:01.25+02', // another session time zone
    '2026-12-07 08:05:01+05:30',
    '0050-03-01 12:00:00+00', // years before 100 (Date.UTC would read 1950)
    '0044-03-15 12:00:00+00 BC',
    '12026-01-01 00:00:00+00',
    'infinity',
    '-infinity',
  ])('reads %s as pg’s parser does', (text) => {
    expect(parseTimestamptz(text)).toEqual(pgParse(text));
  });

  it('is the parser of timestamptz in text only; other types keep pg’s', () => {
    expect(connectionTypes.getTypeParser(1184, 'text')).toBe(parseTimestamptz);
    expect(connectionTypes.getTypeParser(1114, 'text')).toBe(types.getTypeParser(1114, 'text'));
    expect(connectionTypes.getTypeParser(23, 'text')).toBe(types.getTypeParser(23, 'text'));
  });
});
