import { RequestMethod, type ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@backlot/config';
import { translateDatabaseError } from '@backlot/database';
import { answerClientError, answerFrameworkError, createValidationPipe, ProblemFilter, registerInputLimits } from '@backlot/http';
import {
  AccessLog,
  createLogDestination,
  createLogger,
  instrumentHttp,
  MetricsService,
  PinoNestLogger,
  requestIdFrom,
} from '@backlot/observability';
import { registerHttpHardening } from '@backlot/security';
import { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { serveLinkPages } from './auth/link-pages/link-pages';
import { CollectionOpenApi } from './data/openapi/collection-openapi';
import { buildOpenApiDocument, serveOpenApi } from './openapi';

export const API_PREFIX = 'api/v1';

export interface CreateAppOptions {
  /** Where logs go (default: stdout). */
  logDestination?: DestinationStream;
  /** Extra modules (tests mount probe controllers this way). */
  imports?: NonNullable<ModuleMetadata['imports']>;
}

/** Builds the fully configured app without listening: used by main.ts, the CLI and tests. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const destination = options.logDestination ?? createLogDestination();
  const logger = createLogger(config.observability.logLevel, destination);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // One access-log line per request is written by instrumentHttp instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    genReqId: requestIdFrom,
    // Fastify builds a child logger per request; nothing of ours logs through request.log
    // (the access log is written once per request by instrumentHttp), so skip that cost.
    childLoggerFactory: (logger: FastifyBaseLogger) => logger,
    bodyLimit: config.http.bodyLimitBytes,
    // Fastify also accepts a hop count, which the adapter's option type leaves out.
    trustProxy: config.http.trustProxy as boolean | string[],
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    forceCloseConnections: 'idle',
    // Fastify answers a path parameter over 100 characters with a bare 414 before any route
    // runs; a longer bound lets the route's own validation explain what is wrong (problem+json).
    routerOptions: { maxParamLength: 1_000 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, options.imports), adapter, {
    logger: new PinoNestLogger(logger),
    // JSON only: Fastify parses application/json itself; without Nest's extra parsers every
    // other content type gets a 415 instead of reaching validation as a string or form.
    bodyParser: false,
    abortOnError: false,
  });

  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeContentTypeParser('text/plain');
  registerInputLimits(fastify);
  closeKeepAliveConnectionsOnShutdown(fastify);
  instrumentHttp(fastify, app.get(MetricsService), new AccessLog(destination, logger.isLevelEnabled('info')));

  app.setGlobalPrefix(API_PREFIX, { exclude: [{ path: 'metrics', method: RequestMethod.GET }] });
  app.useGlobalPipes(createValidationPipe());
  // Every route answers a database it cannot use with 503 + Retry-After, not a 500.
  app.useGlobalFilters(new ProblemFilter([translateDatabaseError]));
  registerHttpHardening(app, config.http);
  serveLinkPages(app, config);
  const collectionsApi = app.get(CollectionOpenApi);
  serveOpenApi(app, buildOpenApiDocument(app, config), (document) => collectionsApi.extend(document));
  return app;
}

/**
 * Fastify's close waits for every open connection. A keep-alive connection that carried
 * an in-flight request becomes idle once its response is sent, but would then hold
 * shutdown until the client dropped it; sweeping idle connections while closing ends each
 * one right after its last response, with no per-request cost.
 */
function closeKeepAliveConnectionsOnShutdown(fastify: FastifyInstance): void {
  fastify.addHook('preClose', (done) => {
    const sweep = setInterval(() => fastify.server.closeIdleConnections(), 50);
    sweep.unref();
    fastify.server.once('close', () => clearInterval(sweep));
    done();
  });
}
