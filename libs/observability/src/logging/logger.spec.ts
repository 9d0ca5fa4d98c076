import type { DestinationStream } from 'pino';
import { createLogger } from './logger';

/** A destination that keeps every line pino writes, parsed. */
function memoryDestination(): DestinationStream & { lines: string[]; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    lines,
    write(chunk: string) {
      lines.push(...chunk.split('\n').filter(Boolean));
    },
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes JSON lines with the level label, an ISO time and the service name', () => {
    const destination = memoryDestination();

    createLogger('info', destination).info({ userId: 'u1' }, 'signed in');

    const [record] = destination.records();
    expect(record).toMatchObject({ level: 'info', service: 'backlot', userId: 'u1', msg: 'signed in' });
    expect(new Date(String(record.time)).toISOString()).toBe(record.time);
  });

  it('drops records below the configured level', () => {
    const destination = memoryDestination();
    const logger = createLogger('warn', destination);

    logger.info('quiet');
    logger.warn('loud');

    expect(destination.records().map((r) => r.msg)).toEqual(['loud']);
  });

  it('writes nothing at level silent', () => {
    const destination = memoryDestination();

    createLogger('silent', destination).fatal('ignored');

    expect(destination.lines).toEqual([]);
  });

  it('redacts the authorization and cookie request headers', () => {
    const destination = memoryDestination();

    createLogger('info', destination).info({
      req: { method: 'GET', headers: { authorization: 'Bearer abc.def.ghi', cookie: 'sid=s3ss10n', accept: 'text/html' } },
    });

    const [line] = destination.lines;
    expect(line).not.toContain('abc.def.ghi');
    expect(line).not.toContain('s3ss10n');
    expect(JSON.parse(line).req).toEqual({
      method: 'GET',
      headers: { authorization: '[redacted]', cookie: '[redacted]', accept: 'text/html' },
    });
  });

  it('redacts api key and metrics token headers and set-cookie on responses', () => {
    const destination = memoryDestination();

    createLogger('info', destination).info({
      req: { headers: { 'x-api-key': 'key-123456', 'x-metrics-token': 'metrics-987654' } },
      res: { headers: { 'set-cookie': 'sid=fresh-session' } },
    });

    const [line] = destination.lines;
    for (const secret of ['key-123456', 'metrics-987654', 'fresh-session']) expect(line).not.toContain(secret);
    expect(line.match(/\[redacted\]/g)).toHaveLength(3);
  });

  it('redacts passwords and tokens one level down, e.g. in a logged body', () => {
    const destination = memoryDestination();

    createLogger('info', destination).info({ body: { email: 'ada@example.com', password: 'p4ssw0rd-value' } });
    createLogger('info', destination).info({ result: { token: 'tok-value', refreshToken: 'refresh-value' } });

    const text = destination.lines.join('\n');
    for (const secret of ['p4ssw0rd-value', 'tok-value', 'refresh-value']) expect(text).not.toContain(secret);
    const [body, result] = destination.records();
    expect(body.body).toEqual({ email: 'ada@example.com', password: '[redacted]' });
    expect(result.result).toEqual({ token: '[redacted]', refreshToken: '[redacted]' });
  });

  it('redacts top-level password, token and secret fields', () => {
    const destination = memoryDestination();

    createLogger('info', destination).info({ password: 'pw-value', token: 'tk-value', secret: 'sc-value', keep: 'visible' });

    const [record] = destination.records();
    expect(record).toMatchObject({ password: '[redacted]', token: '[redacted]', secret: '[redacted]', keep: 'visible' });
  });

  it('does not alter the logged object', () => {
    const body = { password: 'still-here' };

    createLogger('info', memoryDestination()).info({ body });

    expect(body.password).toBe('still-here');
  });
});

describe('createLogger redaction depth', () => {
  it('redacts secrets nested two levels inside a logged object', () => {
    const destination = memoryDestination();

    createLogger('info', destination).info({ body: { user: { password: 'deep-secret-1' }, session: { refreshToken: 'deep-secret-2' } } });

    expect(destination.lines.join('\n')).not.toMatch(/deep-secret/);
    expect(destination.lines.join('\n')).toContain('[redacted]');
  });
});
