import { HttpException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainError, ServiceUnavailable, TooManyRequests, Unauthenticated, ValidationFailed } from '../errors/domain-errors';
import { type Problem, problemType, statusTitle } from './problem';

const STATUS_BY_KIND: Record<string, number> = {
  validation: 400,
  'bad-request': 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  'request-timeout': 408,
  conflict: 409,
  gone: 410,
  'precondition-failed': 412,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  unprocessable: 422,
  'rate-limited': 429,
  'account-locked': 429,
  unavailable: 503,
};

/** Fastify's own request-parsing failures, which happen before any Nest code runs. */
const FASTIFY_CODES: Record<string, { status: number; slug: string; detail?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, slug: 'payload-too-large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    slug: 'unsupported-media-type',
    detail: 'Unsupported Content-Type; send application/json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, slug: 'bad-request' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, slug: 'malformed-body', detail: "The body is empty but Content-Type is 'application/json'." },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, slug: 'malformed-body' },
};

export interface ProblemResponse {
  problem: Problem;
  headers: Record<string, string>;
  /** Set for unexpected failures: the caught error, to be logged with `problem.errorId`. */
  unexpected?: unknown;
  /** Set for expected failures worth an operator's look (a dependency down): their cause, logged with `problem.errorId`. */
  cause?: unknown;
}

export interface ProblemContext {
  instance?: string;
  requestId?: string;
}

/** Maps anything thrown while handling a request to the problem body and headers to send. */
export function toProblem(error: unknown, context: ProblemContext): ProblemResponse {
  const base = { instance: context.instance, requestId: context.requestId };

  if (error instanceof DomainError) {
    const status = STATUS_BY_KIND[error.kind] ?? 400;
    const problem: Problem = {
      type: problemType(error.kind),
      title: statusTitle(status),
      status,
      detail: error.message,
      ...base,
      ...error.extensions,
    };
    if (error instanceof ValidationFailed) problem.errors = error.errors;
    const headers: Record<string, string> = {};
    if (error instanceof TooManyRequests) headers['retry-after'] = String(error.retryAfterSeconds);
    if (error instanceof ServiceUnavailable && typeof error.extensions.retryAfter === 'number') {
      headers['retry-after'] = String(error.extensions.retryAfter);
    }
    // RFC 9110 §15.5.2: a 401 names the scheme that would work.
    if (error instanceof Unauthenticated) headers['www-authenticate'] = 'Bearer realm="backlot"';
    return { problem, headers, ...(typeof problem.errorId === 'string' && error.cause !== undefined && { cause: error.cause }) };
  }

  // Nest wraps Fastify's parser errors in an HttpException; the original is the cause.
  const fastify = fastifyError(error instanceof HttpException ? (error.cause ?? error) : error);
  if (fastify) {
    return {
      problem: {
        type: problemType(fastify.slug),
        title: statusTitle(fastify.status),
        status: fastify.status,
        detail: fastify.detail,
        ...base,
      },
      headers: {},
    };
  }

  if (error instanceof HttpException && error.getStatus() < 500) {
    const status = error.getStatus();
    return {
      problem: { type: 'about:blank', title: statusTitle(status), status, detail: httpExceptionDetail(error), ...base },
      headers: {},
    };
  }

  const errorId = randomUUID();
  return {
    problem: {
      type: problemType('internal'),
      title: statusTitle(500),
      status: 500,
      detail: `An unexpected error occurred. Quote error id ${errorId} when reporting it.`,
      errorId,
      ...base,
    },
    headers: {},
    unexpected: error,
  };
}

function httpExceptionDetail(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : error.message;
}

/** Recognises client errors raised by Fastify (or its plugins); their messages are safe to show. */
function fastifyError(error: unknown): { status: number; slug: string; detail: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode, message } = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  const known = typeof code === 'string' ? FASTIFY_CODES[code] : undefined;
  if (known) return { ...known, detail: known.detail ?? String(message) };
  if (typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { status: statusCode, slug: 'bad-request', detail: String(message) };
  }
  // JSON.parse failures inside the body parser surface as SyntaxError with statusCode 400.
  if (error instanceof SyntaxError && statusCode === 400) {
    return { status: 400, slug: 'malformed-body', detail: `The body is not valid JSON: ${String(message)}` };
  }
  return undefined;
}
