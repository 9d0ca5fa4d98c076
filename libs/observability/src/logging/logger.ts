import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

/**
 * Everything that may carry a credential. Paths cover Fastify's request serializer and the
 * objects our own code logs, so a careless `logger.info({ body })` still leaks nothing.
 */
export const REDACTED_PATHS: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-metrics-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];
const SECRET_KEYS = ['password', 'newPassword', 'currentPassword', 'token', 'accessToken', 'refreshToken', 'secret', 'apiKey'];
// pino's redaction matches fixed depths; secrets are redacted up to three levels deep.
for (const key of SECRET_KEYS) REDACTED_PATHS.push(key, `*.${key}`, `*.*.${key}`);

const BASE_OPTIONS = {
  base: { service: 'backlot' },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label: string) => ({ level: label }) },
};

/**
 * Asynchronous stdout: a line is written as soon as the previous write finished, so the
 * console is current when idle and lines coalesce into fewer writes under load.
 */
export function createLogDestination(): DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}

export function createLogger(level: LevelWithSilent, destination: DestinationStream = createLogDestination()): Logger {
  return pino({ ...BASE_OPTIONS, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}
