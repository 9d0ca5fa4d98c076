import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@backlot/config';
import { PROBLEM_CONTENT_TYPE, PROBLEM_MODELS, PUBLIC_OPERATION } from '@backlot/http';

/** The OpenAPI document, built from the running app's routes and DTOs. */
export function buildOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Backlot API')
    .setDescription(
      'Self-hosted backend for single-page apps and API consumers. Errors are RFC 9457 `application/problem+json`; ' +
        'every response carries `x-request-id`.',
    )
    .setVersion(config.version)
    .setLicense('MIT', 'https://opensource.org/license/mit')
    // Relative: the paths hold /api/v1, and the document is served by the server it describes.
    .addServer('/', 'The server that serves this document')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Short-lived access token (JWT)' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'API key for server-to-server consumers' }, 'apiKey')
    .addCookieAuth(
      'backlot_refresh',
      {
        type: 'apiKey',
        in: 'cookie',
        name: 'backlot_refresh',
        description:
          'SPA cookie mode: the httpOnly refresh-token cookie set by login. Requests using it need `X-Backlot-CSRF: 1` and an allowed Origin.',
      },
      'refreshCookie',
    )
    .addSecurity('metricsToken', { type: 'http', scheme: 'bearer', description: 'The METRICS_TOKEN value, when one is configured' });
  for (const [name, description] of Object.entries(TAGS)) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    extraModels: PROBLEM_MODELS,
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  return withPlatformProblems(withPublicOperations(document));
}

/** Every tag an operation carries, described (generators group operations by them; collection tags are added live). */
const TAGS: Record<string, string> = {
  auth: 'Accounts and sign-in: registration, email verification, password reset, tokens (body or cookie mode), MFA, sessions, API keys.',
  users: "The signed-in user's own profile: read, change, change password or email, export, delete.",
  collections: 'Collection definitions: fields, rules and indexes. Admins create, change and drop them.',
  records: 'Records of any collection under its rules: list, filter, read, write, history, trash, batch, import and export.',
  files: 'Files of records: downloads, thumbnails, file tokens for protected files, and resumable (tus) uploads.',
  realtime: 'Server-sent events of record changes, under the same view rules as reads.',
  reports: 'Aggregates (count, sum, avg, min, max, by group) over the records a caller may list.',
  admin: 'Operator endpoints (admins only, every call audited): users, audit log, stats, cache, jobs, webhooks, backups.',
  setup: 'First run: the one-time link that creates the first admin, and whether setup is still open.',
  operations: 'Probes and metrics for load balancers and monitoring.',
};

/**
 * Public operations say so: `security: []` (no credentials), rather than leaving a reader to
 * guess; one that declares what it may take (the refresh cookie, the metrics token) keeps that.
 */
function withPublicOperations(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const [method, operation] of Object.entries(item as Record<string, Record<string, unknown>>)) {
      if (!METHODS.has(method) || !operation[PUBLIC_OPERATION]) continue;
      delete operation[PUBLIC_OPERATION];
      operation.security ??= [];
    }
  }
  return document;
}

const PLATFORM_PROBLEMS: Record<number, string> = {
  400: 'Bad Request (a URL holding NUL or bytes that are not UTF-8, a malformed or too deeply nested body, or invalid fields)',
  431: 'Request Header Fields Too Large',
};
const BODY_PROBLEMS: Record<number, string> = { 413: 'Payload Too Large', 415: 'Unsupported Media Type' };
const PATH_PROBLEMS: Record<number, string> = { 414: 'URI Too Long (a path parameter over 1,000 characters)' };
type Operation = { requestBody?: unknown; responses: Record<string, unknown> };
const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/**
 * Adds the answers the HTTP layer gives on every route before the route itself runs (see
 * registerInputLimits and answerClientError), for routes that take a body its size and media
 * type refusals, and for routes with path parameters the router's length limit, so each
 * operation lists every status a client can meet.
 */
function withPlatformProblems(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item as Record<string, Operation>)) {
      if (!METHODS.has(method)) continue;
      const problems = {
        ...PLATFORM_PROBLEMS,
        ...(operation.requestBody ? BODY_PROBLEMS : {}),
        ...(path.includes('{') ? PATH_PROBLEMS : {}),
      };
      for (const [status, description] of Object.entries(problems))
        operation.responses[status] ??= {
          description,
          content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDto' } } },
        };
    }
  }
  return document;
}

/**
 * Serves Swagger UI and the JSON document. `extend` adds what only exists at run time (the
 * collections' own paths and schemas) to each request's copy of the document.
 */
export function serveOpenApi(
  app: INestApplication,
  document: OpenAPIObject,
  extend?: (document: OpenAPIObject) => Promise<OpenAPIObject>,
): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    useGlobalPrefix: false,
    raw: ['json'],
    ...(extend && { patchDocumentOnRequest: (_request: unknown, _reply: unknown, base: OpenAPIObject) => extend(base) }),
  });
}
