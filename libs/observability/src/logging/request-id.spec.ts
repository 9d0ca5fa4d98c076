import type { IncomingMessage } from 'node:http';
import { requestIdFrom } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function request(headers: Record<string, string | string[]>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

describe('requestIdFrom', () => {
  it.each([
    '0193a0c4-7c1e-7cc2-9d3b-4c8f2b1a9e11',
    'Root=1-67891233-abcdef012345678912345678'.replace('=', ':'),
    'lb.edge_01:42',
    'a'.repeat(128),
  ])('keeps the valid incoming x-request-id %s', (id) => {
    expect(requestIdFrom(request({ 'x-request-id': id }))).toBe(id);
  });

  it('generates a UUID when the header is absent', () => {
    expect(requestIdFrom(request({}))).toMatch(UUID);
  });

  it('generates a different id for each request without one', () => {
    expect(requestIdFrom(request({}))).not.toBe(requestIdFrom(request({})));
  });

  it.each([
    ['longer than 128 characters', 'a'.repeat(129)],
    ['containing CRLF', 'abc\r\n{"level":"fatal","msg":"forged"}'],
    ['containing a bare newline', 'abc\ndef'],
    ['containing spaces', 'abc def'],
    ['empty', ''],
  ])('replaces an incoming id %s with a UUID', (_, id) => {
    const result = requestIdFrom(request({ 'x-request-id': id }));

    expect(result).toMatch(UUID);
    expect(result).not.toBe(id);
  });

  it('replaces a header sent more than once with a UUID', () => {
    expect(requestIdFrom(request({ 'x-request-id': ['one', 'two'] }))).toMatch(UUID);
  });
});
