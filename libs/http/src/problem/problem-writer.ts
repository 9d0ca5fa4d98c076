import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { toProblem } from './to-problem';

const logger = new Logger('Problem');

/**
 * Sends any error as `application/problem+json`. Nest routes Fastify's own failures (body
 * parsing, limits) through its exception layer too, so every error ends up here.
 */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { problem, headers, unexpected } = toProblem(error, { instance: request.url.split('?')[0], requestId: String(request.id) });
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
  if (reply.sent) return;
  void reply.status(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem);
}
