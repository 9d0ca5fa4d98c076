import { ValidationFailed } from '../errors/domain-errors';
import { decodeTimeCursor, encodeTimeCursor } from './time-cursor';

const ID = '01936f4e-8a2b-7c3d-9e4f-0a1b2c3d4e5f';
const forged = (content: unknown) => Buffer.from(JSON.stringify(content)).toString('base64url');

function refusal(cursor: string): unknown {
  try {
    decodeTimeCursor(cursor);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('time cursors', () => {
  it.each(['2026-11-01T10:20:30.123Z', '0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'])(
    'reads back the key it encoded at %s',
    (iso) => {
      const key = { at: new Date(iso), id: ID };
      expect(decodeTimeCursor(encodeTimeCursor(key))).toEqual(key);
    },
  );

  it.each([
    ['a year before 1', '-005000-01-01T00:00:00.000Z'],
    ['year 0', '0000-01-01T00:00:00.000Z'],
    ['the last day Date knows', '+275760-09-13T00:00:00.000Z'],
    ['a year after 9999', '+010000-01-01T00:00:00.000Z'],
    ['a time not written by toISOString', '2026-11-01T00:00:00Z'],
    ['a date Date reads loosely', '2026-11-01'],
    ['text Date reads loosely', 'Sun Nov 01 2026'],
    ['no date at all', 'yesterday'],
  ])('refuses a forged cursor carrying %s as a validation failure on `cursor`', (_, at) => {
    const error = refusal(forged([at, ID]));
    expect(error).toBeInstanceOf(ValidationFailed);
    expect((error as ValidationFailed).errors).toEqual([expect.objectContaining({ path: 'cursor', code: 'invalidCursor' })]);
  });

  it.each([
    ['not base64url JSON', '!!'],
    ['not a pair', forged({})],
    ['a number for the time', forged([1_700_000_000_000, ID])],
    ['an id that is not a UUID', forged(['2026-11-01T00:00:00.000Z', 'x'])],
    ['a third element', forged(['2026-11-01T00:00:00.000Z', ID, 1])],
  ])('refuses %s', (_, cursor) => expect(refusal(cursor)).toBeInstanceOf(ValidationFailed));
});
