import type { DestinationStream } from 'pino';
import { createLogger } from './logger';
import { PinoNestLogger } from './nest-logger';

function capture(): { destination: DestinationStream; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    destination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) },
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('PinoNestLogger', () => {
  it('keeps the fields of an object message and the Nest context', () => {
    const { destination, records } = capture();
    new PinoNestLogger(createLogger('info', destination)).error(
      { msg: 'unexpected error', errorId: 'e-1', error: { stack: 'at x' } },
      'Problem',
    );
    expect(records()[0]).toMatchObject({
      level: 'error',
      context: 'Problem',
      msg: 'unexpected error',
      errorId: 'e-1',
      error: { stack: 'at x' },
    });
  });

  it('logs a string message with its stack and context as Nest passes them', () => {
    const { destination, records } = capture();
    new PinoNestLogger(createLogger('info', destination)).error('boom', 'Error: boom\n    at y', 'Bootstrap');
    expect(records()[0]).toMatchObject({ msg: 'boom', stack: 'Error: boom\n    at y', context: 'Bootstrap' });
  });

  it('logs an Error with its type, message and stack', () => {
    const { destination, records } = capture();
    new PinoNestLogger(createLogger('info', destination)).error(new TypeError('bad'), 'Ctx');
    expect(records()[0]).toMatchObject({ msg: 'bad', context: 'Ctx', error: { type: 'TypeError', message: 'bad' } });
  });

  it('still redacts secrets inside object messages', () => {
    const { destination, records } = capture();
    new PinoNestLogger(createLogger('info', destination)).warn({ body: { password: 'hunter2' } }, 'Ctx');
    expect(JSON.stringify(records()[0])).not.toContain('hunter2');
  });
});
