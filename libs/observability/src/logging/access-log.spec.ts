import type { DestinationStream } from 'pino';
import { AccessLog } from './access-log';

const ENTRY = { reqId: 'r-1', method: 'GET', route: '/api/v1/x/:id', url: '/api/v1/x/"1"?a=b', statusCode: 200, ms: 1.25, ip: '::1' };

function logAt(...times: number[]): Record<string, unknown>[] {
  const lines: string[] = [];
  const log = new AccessLog({ write: (line: string) => lines.push(line) } as DestinationStream, true);
  for (const time of times) {
    jest.setSystemTime(time);
    log.write(ENTRY);
  }
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('AccessLog', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('writes one JSON line per request with every field, the URL escaped', () => {
    const [line] = logAt(Date.UTC(2026, 11, 7, 8, 5, 1, 123));
    expect(line).toEqual({ level: 'info', time: '2026-12-07T08:05:01.123Z', service: 'backlot', ...ENTRY, msg: 'request completed' });
  });

  it('stamps each line with its own millisecond, padded, across second and day boundaries', () => {
    const times = [
      Date.UTC(2026, 11, 7, 8, 5, 1, 7),
      Date.UTC(2026, 11, 7, 8, 5, 1, 42),
      Date.UTC(2026, 11, 7, 8, 5, 2, 0),
      Date.UTC(2026, 11, 7, 23, 59, 59, 999),
      Date.UTC(2026, 11, 8, 0, 0, 0, 1),
    ];
    expect(logAt(...times).map((line) => line.time)).toEqual(times.map((time) => new Date(time).toISOString()));
  });

  it('writes nothing when info lines are off', () => {
    const lines: string[] = [];
    new AccessLog({ write: (line: string) => lines.push(line) } as DestinationStream, false).write(ENTRY);
    expect(lines).toEqual([]);
  });
});
