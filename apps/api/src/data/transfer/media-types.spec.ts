import { UnsupportedMediaType } from '@backlot/http';
import { negotiateFormat, uploadFormat } from './media-types';

describe('negotiateFormat', () => {
  it('takes the format parameter over Accept', () => {
    expect(negotiateFormat('ndjson', 'text/csv')).toBe('ndjson');
  });

  it('takes the preferred of our types from Accept, by quality then order, NDJSON by default', () => {
    expect(negotiateFormat(undefined, 'text/csv')).toBe('csv');
    expect(negotiateFormat(undefined, 'text/csv;q=0.5, application/x-ndjson')).toBe('ndjson');
    expect(negotiateFormat(undefined, 'application/json, TEXT/CSV; charset=utf-8')).toBe('csv');
    expect(negotiateFormat(undefined, 'text/csv;q=0')).toBe('ndjson');
    expect(negotiateFormat(undefined, '*/*')).toBe('ndjson');
    expect(negotiateFormat(undefined, undefined)).toBe('ndjson');
  });
});

describe('uploadFormat', () => {
  it('reads the format from the content type, UTF-8 only', () => {
    expect(uploadFormat('application/x-ndjson')).toBe('ndjson');
    expect(uploadFormat('Text/CSV; charset="UTF-8"; header=present')).toBe('csv');
    for (const type of [undefined, 'application/json', 'text/plain', 'text/csv; charset=latin1'])
      expect(() => uploadFormat(type)).toThrow(UnsupportedMediaType);
  });
});
