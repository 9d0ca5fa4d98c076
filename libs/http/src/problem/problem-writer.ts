import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { toProblem } from './to-problem';

const logger = new Logger('Problem');

/** Turns a library's own errors into domain errors (e.g. a database that cannot be reached into a 503). */
export type ErrorTranslator = (error: unknown) => unknown;

/** What Node and stream helpers report when the other end hung up mid-request. */
const ABORT_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'ABORT_ERR']);

/**
 * Sends any error as `application/problem+json`, after the translators (the libraries that
 * know their failures say what they mean). Nest routes Fastify's own failures (body parsing,
 * limits) through its exception layer too, so every error ends up here.
 */
export function sendProblem(
  thrown: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  translators: readonly ErrorTranslator[] = [],
): void {
  // Before translating: a client's reset looks like a lost database connection (ECONNRESET) to a translator.
  if (clientHungUp(thrown, request)) {
    // Routine on the internet (a closed tab, a slow upload given up): nobody is left to answer, and no error to report.
    logger.log({ msg: 'client closed the connection before the answer', reqId: request.id, reason: describe(thrown) });
    return;
  }
  const error = translators.reduce((current, translate) => translate(current), thrown);
  const { problem, headers, unexpected, cause } = toProblem(error, { instance: request.url.split('?')[0], requestId: String(request.id) });
  if (unexpected !== undefined) {
    const err = unexpected instanceof Error ? unexpected : new Error(String(unexpected));
    // Not under pino's `err` key: its serializer would replace the type with "Object".
    logger.error({
      msg: 'unexpected error',
      errorId: problem.errorId,
      reqId: request.id,
      error: { type: err.name, message: err.message, stack: err.stack },
    });
  }
  if (cause !== undefined) {
    const err = cause instanceof Error ? cause : new Error(String(cause));
    logger.warn({ msg: problem.detail, errorId: problem.errorId, reqId: request.id, error: { type: err.name, message: err.message } });
  }
  if (reply.sent) return;
  // Refused before its body was read to the end (an upload stopped by a limit or a deadline):
  // close rather than read, and throw away, whatever the client still sends.
  if (bodyUnread(request)) reply.header('connection', 'close');
  void reply.status(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem);
}

function clientHungUp(error: unknown, request: FastifyRequest): boolean {
  if (!request.raw.socket?.destroyed) return false;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (typeof code === 'string' && ABORT_CODES.has(code)) || (typeof message === 'string' && /\baborted\b|premature close/i.test(message))
  );
}

function describe(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return [code, message].filter((part) => typeof part === 'string').join(': ');
}

/** Whether the request has a body not yet read to its end (a bodiless request is not complete either while its headers are handled). */
function bodyUnread(request: FastifyRequest): boolean {
  const { headers } = request;
  return !request.raw.complete && (headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0);
}
