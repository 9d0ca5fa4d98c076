import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@backlot/config';
import { PROBLEM_MODELS } from '@backlot/http';

/** The OpenAPI document, built from the running app's routes and DTOs. */
export function buildOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Backlot API')
    .setDescription(
      'Self-hosted backend for single-page apps and API consumers. Errors are RFC 9457 `application/problem+json`; ' +
        'every response carries `x-request-id`.',
    )
    .setVersion(config.version)
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
    .addSecurity('metricsToken', { type: 'http', scheme: 'bearer', description: 'The METRICS_TOKEN value, when one is configured' })
    .build();
  return SwaggerModule.createDocument(app, builder, {
    extraModels: PROBLEM_MODELS,
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
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
