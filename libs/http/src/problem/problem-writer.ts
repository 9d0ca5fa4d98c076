import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { toProblem } from './to-problem';

const logger = new Logger('Problem');

/**
 * Sends any error as `application/problem+json`. Shared by the Nest exception filter and
 * Fastify's error handler, so errors raised before Nest sees a request look the same.
 */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { problem, headers, unexpected } = toProblem(error, { instance: request.url.split('?')[0], requestId: String(request.id) });
  if (unexpected !== undefined) {
    const err = unexpected instanceof Error ? unexpected : new Error(String(unexpected));
    logger.error(
      { errorId: problem.errorId, reqId: request.id, err: { type: err.name, message: err.message, stack: err.stack } },
      'unexpected error',
    );
  }
  if (reply.sent) return;
  void reply.status(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem);
}
