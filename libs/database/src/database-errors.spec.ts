import { Conflict, ServiceUnavailable } from '@backlot/http';
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { isDatabaseUnavailable, translateDatabaseError } from './database-errors';
import { Prisma } from './generated/prisma/client';

const clientVersion = Prisma.prismaVersion.client;
const prismaError = (code: string, meta?: Record<string, unknown>) =>
  new Prisma.PrismaClientKnownRequestError(`prisma ${code}`, { code, clientVersion, meta });
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

// The shapes below are the ones pg, Prisma and its pg adapter raised against a private
// PostgreSQL that was stopped, frozen (SIGSTOP) or short of time (see test/e2e/outages.e2e-spec.ts).
describe('isDatabaseUnavailable', () => {
  it.each<[string, unknown]>([
    ['a refused connection (pg)', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a reset connection', pgError('ECONNRESET', 'read ECONNRESET')],
    ['a statement past its timeout (pg)', pgError('57014', 'canceling statement due to statement timeout')],
    ['the server shutting down (pg)', pgError('57P01', 'terminating connection due to administrator command')],
    ['a connection exception (class 08)', pgError('08006', 'connection failure')],
    ['no answer within the client deadline', new Error('Query read timeout')],
    ['no pool connection in time', new Error('timeout exceeded when trying to connect')],
    ['a new connection timing out', new Error('Connection terminated due to connection timeout', { cause: new Error('x') })],
    ['a connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['Prisma: cannot reach the server', prismaError('P1001')],
    ['Prisma: the server closed the connection', prismaError('P1017')],
    ['Prisma: timed out fetching a connection', prismaError('P2024')],
    [
      'Prisma: a raw query cancelled by the statement timeout (adapter error inside)',
      prismaError('P2010', {
        driverAdapterError: new DriverAdapterError({
          kind: 'postgres',
          code: '57014',
          originalCode: '57014',
          severity: 'ERROR',
          message: 'canceling statement due to statement timeout',
          detail: undefined,
          column: undefined,
          hint: undefined,
        }),
      }),
    ],
    ['the adapter error itself', new DriverAdapterError({ kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 })],
    ['pg wrapped as a cause', new Error('wrapper', { cause: pgError('ECONNREFUSED', 'refused') })],
  ])('recognises %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a unique violation', pgError('23505', 'duplicate key value violates unique constraint')],
    ['a syntax error', pgError('42601', 'syntax error at or near "FROM"')],
    ['Prisma: record not found', prismaError('P2025')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a thrown string', 'boom'],
  ])('leaves %s alone', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('translateDatabaseError', () => {
  it('turns an unavailable database into a 503 with Retry-After and an errorId, keeping the cause for the log', () => {
    const cause = pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432');
    const translated = translateDatabaseError(cause) as ServiceUnavailable;

    expect(translated).toBeInstanceOf(ServiceUnavailable);
    expect(translated.extensions).toMatchObject({ retryAfter: 5, errorId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(translated.cause).toBe(cause);
    expect(translated.message).not.toContain('127.0.0.1');
  });

  it('still turns a unique violation into a Conflict and passes other errors through', () => {
    expect(translateDatabaseError(prismaError('P2002', { target: ['email'] }))).toBeInstanceOf(Conflict);
    const bug = new TypeError('bug');
    expect(translateDatabaseError(bug)).toBe(bug);
  });
});
