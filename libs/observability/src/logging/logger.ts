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

export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'backlot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096 }),
  );
}
