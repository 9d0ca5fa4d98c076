import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorTranslator, sendProblem } from './problem-writer';

/**
 * The one place errors become HTTP responses (registered globally in the app factory), after
 * the translators the app hands it: the libraries that know their failures say what they mean.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly translators: readonly ErrorTranslator[] = []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.translators);
  }
}
