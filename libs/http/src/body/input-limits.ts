import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest, ValidationFailed } from '../errors/domain-errors';
import { sendProblem } from '../problem/problem-writer';
import { JSON_MAX_DEPTH, parseJsonText } from './json-text';

interface InputLimitsConfig {
  jsonMaxDepth?: number;
}

/** Raises the nesting limit of a route's JSON body (records, whose `json` fields are the client's own documents). */
export function JsonBodyDepth(maxDepth: number): MethodDecorator {
  return RouteConfig({ jsonMaxDepth: maxDepth } satisfies InputLimitsConfig);
}

/**
 * Input checks that hold for every route at once, before any handler, DTO or library sees
 * the request: JSON bodies are parsed with a nesting limit and refused when they carry text
 * PostgreSQL cannot store (parseJsonText), and a URL whose query or path decodes to a NUL
 * character or to bytes that are not UTF-8 is refused, wherever in the URL it is.
 */
export function registerInputLimits(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      done(Object.assign(new Error("The body is empty but Content-Type is 'application/json'."), { code: 'FST_ERR_CTP_EMPTY_JSON_BODY' }));
      return;
    }
    const { jsonMaxDepth = JSON_MAX_DEPTH } = (request.routeOptions.config ?? {}) as InputLimitsConfig;
    try {
      done(null, parseJsonText(text, jsonMaxDepth));
    } catch (error) {
      done(error instanceof SyntaxError ? Object.assign(error, { statusCode: 400 }) : (error as Error));
    }
  });
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const problem = urlProblem(request.url);
    if (problem) sendProblem(problem, request, reply);
    else done();
  });
}

/**
 * Fastify's router refuses some URLs itself before any hook runs (a path segment that does
 * not decode, FST_ERR_BAD_URL), answering plain JSON; this answers them as problems too.
 * Passed to Fastify as its `frameworkErrors` option.
 */
export function answerFrameworkError(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  const problem = urlProblem(request.url) ?? (error.code === 'FST_ERR_BAD_URL' ? new BadRequest('The URL path does not decode.') : error);
  sendProblem(problem, request, reply);
}

/** Why a URL is refused, if it is: checked on the raw text, so no decoder downstream ever sees it. */
export function urlProblem(url: string): ValidationFailed | undefined {
  if (!url.includes('%') && !url.includes('\u0000')) return undefined;
  const [path, query = ''] = splitOnce(url, '?');
  const where = [{ name: '(path)', text: path }, ...query.split('&').map((pair) => ({ name: parameterName(pair), text: pair }))];
  for (const { name, text } of where) {
    const problem = encodedTextProblem(text);
    if (problem)
      return new ValidationFailed(
        [{ path: name, code: problem.code, message: `${name} ${problem.message}` }],
        `${name} ${problem.message}`,
      );
  }
  return undefined;
}

function encodedTextProblem(text: string): { code: string; message: string } | undefined {
  if (text.includes('\u0000') || /%00/.test(text)) return { code: 'nulCharacter', message: 'must not contain a NUL character (%00)' };
  try {
    // A lone % is left alone (Fastify's query parser tolerates it); %XX runs must decode as UTF-8.
    decodeURIComponent(text.replace(/%(?![0-9a-f]{2})/gi, '%25'));
  } catch {
    return { code: 'malformedEncoding', message: 'has percent-encoded bytes that are not UTF-8' };
  }
  return undefined;
}

/** A query parameter's name for messages: decoded when it decodes cleanly, else as sent. */
function parameterName(pair: string): string {
  const [raw] = splitOnce(pair, '=');
  const name = raw.replace(/%00/g, '');
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).replaceAll('\u0000', '') || '(query)';
  } catch {
    return name || '(query)';
  }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
