import {
  BadRequestException,
  HttpException,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  BadRequest,
  Conflict,
  type DomainError,
  Forbidden,
  Gone,
  NotFound,
  PreconditionFailed,
  RequestTimeout,
  ServiceUnavailable,
  TooManyRequests,
  Unauthenticated,
  ValidationFailed,
} from '../errors/domain-errors';
import { toProblem } from './to-problem';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const context = { instance: '/api/v1/things', requestId: 'req-42' };

describe('toProblem', () => {
  describe('domain errors', () => {
    it.each<[string, DomainError, number, string, string]>([
      ['ValidationFailed', new ValidationFailed([]), 400, 'validation', 'Bad Request'],
      ['BadRequest', new BadRequest('bad input'), 400, 'bad-request', 'Bad Request'],
      ['Unauthenticated', new Unauthenticated('log in first'), 401, 'unauthenticated', 'Unauthorized'],
      ['Forbidden', new Forbidden('not yours'), 403, 'forbidden', 'Forbidden'],
      ['NotFound', new NotFound('no such thing'), 404, 'not-found', 'Not Found'],
      ['Conflict', new Conflict('already exists'), 409, 'conflict', 'Conflict'],
      ['RequestTimeout', new RequestTimeout('took too long'), 408, 'request-timeout', 'Request Timeout'],
      ['Gone', new Gone('setup is done'), 410, 'gone', 'Gone'],
      ['PreconditionFailed', new PreconditionFailed('stale etag'), 412, 'precondition-failed', 'Precondition Failed'],
      ['TooManyRequests', new TooManyRequests(30), 429, 'rate-limited', 'Too Many Requests'],
      ['ServiceUnavailable', new ServiceUnavailable('database is down'), 503, 'unavailable', 'Service Unavailable'],
    ])('maps %s to %i with type problems/%s', (_, error, status, kind, title) => {
      const { problem, unexpected } = toProblem(error, context);

      expect(problem).toMatchObject({ type: `https://backlot.dev/problems/${kind}`, title, status, detail: error.message });
      expect(unexpected).toBeUndefined();
    });

    it('copies instance and requestId into the problem', () => {
      const { problem } = toProblem(new NotFound('no such thing'), context);

      expect(problem.instance).toBe('/api/v1/things');
      expect(problem.requestId).toBe('req-42');
    });

    it('carries the field errors of a ValidationFailed', () => {
      const errors = [{ path: 'address.zip', code: 'isPostalCode', message: 'zip must be a postal code' }];

      const { problem } = toProblem(new ValidationFailed(errors), context);

      expect(problem.errors).toEqual(errors);
      expect(problem.detail).toBe('The request has invalid fields.');
    });

    it('leaves errors out of problems other than validation', () => {
      expect(toProblem(new BadRequest('nope'), context).problem).not.toHaveProperty('errors');
    });

    it('sets the retry-after header and retryAfter member for TooManyRequests', () => {
      const { problem, headers } = toProblem(new TooManyRequests(17), context);

      expect(headers).toEqual({ 'retry-after': '17' });
      expect(problem.retryAfter).toBe(17);
    });

    it('sends no headers for other domain errors', () => {
      expect(toProblem(new Conflict('taken'), context).headers).toEqual({});
    });

    it('exposes the extensions of a ServiceUnavailable', () => {
      const { problem } = toProblem(new ServiceUnavailable('maintenance', { component: 'database' }), context);

      expect(problem.component).toBe('database');
    });

    it('hands back the cause of a failure that carries an errorId, to be logged, and keeps it out of the body', () => {
      const unavailable = new ServiceUnavailable('The database is unavailable.', { retryAfter: 5, errorId: 'e-1' });
      unavailable.cause = new Error('connect ECONNREFUSED 10.0.0.5:5432');

      const { problem, headers, cause, unexpected } = toProblem(unavailable, context);

      expect(cause).toBe(unavailable.cause);
      expect(unexpected).toBeUndefined();
      expect(headers).toEqual({ 'retry-after': '5' });
      expect(problem).toMatchObject({ status: 503, errorId: 'e-1' });
      expect(JSON.stringify(problem)).not.toContain('10.0.0.5');
    });
  });

  describe('Nest HttpExceptions', () => {
    it('maps NotFoundException to about:blank with the status title and its message', () => {
      const { problem, unexpected } = toProblem(new NotFoundException('x'), context);

      expect(problem).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'x', ...context });
      expect(unexpected).toBeUndefined();
    });

    it('uses a string response as the detail', () => {
      const { problem } = toProblem(new HttpException('bad', 400), context);

      expect(problem).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'bad' });
    });

    it('joins an array of messages into the detail', () => {
      const { problem } = toProblem(new BadRequestException(['a is wrong', 'b is wrong']), context);

      expect(problem.detail).toBe('a is wrong; b is wrong');
    });

    it('hides the message of a 5xx HttpException behind an error id', () => {
      const error = new ServiceUnavailableException('redis at 10.0.0.7 refused');

      const { problem, unexpected } = toProblem(error, context);

      expect(problem.status).toBe(500);
      expect(problem.errorId).toMatch(UUID);
      expect(unexpected).toBe(error);
      expect(JSON.stringify(problem)).not.toContain('10.0.0.7');
    });
  });

  describe('Fastify errors', () => {
    const tooLarge = { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413, message: 'Request body is too large' };

    it('maps a body-too-large error to 413 payload-too-large', () => {
      const { problem, unexpected } = toProblem(tooLarge, context);

      expect(problem).toEqual({
        type: 'https://backlot.dev/problems/payload-too-large',
        title: 'Payload Too Large',
        status: 413,
        detail: 'Request body is too large',
        ...context,
      });
      expect(unexpected).toBeUndefined();
    });

    it('recognises a body-too-large error wrapped by Nest as the cause of an HttpException', () => {
      const { problem } = toProblem(new HttpException('Request body is too large', 413, { cause: tooLarge }), context);

      expect(problem).toMatchObject({ type: 'https://backlot.dev/problems/payload-too-large', status: 413 });
    });

    it('recognises a wrapped body-too-large error whose wrapper has another status', () => {
      const { problem } = toProblem(new PayloadTooLargeException('too big', { cause: tooLarge }), context);

      expect(problem.type).toBe('https://backlot.dev/problems/payload-too-large');
    });

    it('uses its own detail for an unsupported media type', () => {
      const { problem } = toProblem(
        { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415, message: 'Unsupported Media Type: text/xml' },
        context,
      );

      expect(problem).toMatchObject({
        status: 415,
        type: 'https://backlot.dev/problems/unsupported-media-type',
        detail: expect.stringContaining('application/json'),
      });
    });

    it('maps an unlisted FST_ 4xx error to bad-request with its status', () => {
      const { problem } = toProblem({ code: 'FST_ERR_SOMETHING_NEW', statusCode: 422, message: 'odd request' }, context);

      expect(problem).toMatchObject({ status: 422, type: 'https://backlot.dev/problems/bad-request', detail: 'odd request' });
    });

    it('maps a JSON SyntaxError with statusCode 400 to malformed-body', () => {
      const error = Object.assign(new SyntaxError('Unexpected token } in JSON at position 9'), { statusCode: 400 });

      const { problem } = toProblem(error, context);

      expect(problem).toMatchObject({ status: 400, type: 'https://backlot.dev/problems/malformed-body', title: 'Bad Request' });
      expect(problem.detail).toContain('The body is not valid JSON');
    });
  });

  describe('unexpected errors', () => {
    it('answers 500 with an error id and hands the error back to be logged', () => {
      const error = new Error('connect ECONNREFUSED 10.1.2.3:5432 password=hunter2');

      const { problem, headers, unexpected } = toProblem(error, context);

      expect(problem).toMatchObject({
        type: 'https://backlot.dev/problems/internal',
        title: 'Internal Server Error',
        status: 500,
        ...context,
      });
      expect(problem.errorId).toMatch(UUID);
      expect(problem.detail).toContain(String(problem.errorId));
      expect(headers).toEqual({});
      expect(unexpected).toBe(error);
    });

    it('never puts the message or stack of an unexpected error in the body', () => {
      const error = new Error('secret-internal-detail-123');
      const stackLine = String(error.stack).split('\n')[1].trim();

      const body = JSON.stringify(toProblem(error, context).problem);

      expect(body).not.toContain('secret-internal-detail-123');
      expect(body).not.toContain(stackLine);
    });

    it('gives each failure its own error id', () => {
      expect(toProblem(new Error('a'), context).problem.errorId).not.toBe(toProblem(new Error('a'), context).problem.errorId);
    });

    it('treats a SyntaxError without a 400 statusCode as unexpected', () => {
      const { problem } = toProblem(new SyntaxError('bug in our code'), context);

      expect(problem.status).toBe(500);
    });

    it('handles thrown non-Error values', () => {
      const { problem, unexpected } = toProblem('just a string', {});

      expect(problem.status).toBe(500);
      expect(unexpected).toBe('just a string');
    });
  });
});
