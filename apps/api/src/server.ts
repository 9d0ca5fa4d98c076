import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { setFlagsFromString } from 'node:v8';
import { type AppConfig, ConfigError, loadConfig } from '@backlot/config';
import { createLogDestination, createLogger } from '@backlot/observability';
import type { Logger } from 'pino';
import { createApp } from './app.factory';

export interface ServerOptions {
  env?: Readonly<Record<string, string | undefined>>;
  exit?: (code: number) => void;
  stderr?: (message: string) => void;
  handleSignals?: boolean;
}

/**
 * Validates the configuration, starts the app and wires graceful shutdown. Any start-up
 * failure ends the process with exit code 1 and one readable message (no stack trace).
 */
export async function runServer(options: ServerOptions = {}): Promise<NestFastifyApplication | undefined> {
  const {
    env = process.env,
    exit = (code: number) => process.exit(code),
    stderr = (m: string) => process.stderr.write(`${m}\n`),
  } = options;
  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    stderr(error instanceof ConfigError ? error.message : `Invalid configuration: ${(error as Error).message}`);
    exit(1);
    return undefined;
  }

  if (config.database.kind === 'embedded') useCompactWasmCode();
  const logDestination = createLogDestination();
  const logger = createLogger(config.observability.logLevel, logDestination);
  let app: NestFastifyApplication | undefined;
  try {
    app = await createApp(config, { logDestination });
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (error) {
    const message = `Backlot failed to start: ${(error as Error).message}`;
    logger.fatal(message);
    stderr(message);
    await app?.close().catch(() => undefined);
    exit(1);
    return undefined;
  }

  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  logger.info(
    { version: config.version, env: config.env, secrets: config.auth.source, redis: Boolean(config.cache.redisUrl) },
    `Backlot listening on http://${config.http.host}:${port} (docs: /docs)`,
  );
  if (options.handleSignals ?? true) handleShutdownSignals(app, config, logger, exit);
  return app;
}

/**
 * The embedded database is PostgreSQL compiled to WebAssembly. V8's optimising tier keeps a
 * second, larger copy of its code (~50 MB resident); its baseline compiler alone measured
 * as fast here for PGlite's workload. Must run before any WebAssembly is compiled.
 */
function useCompactWasmCode(): void {
  setFlagsFromString('--liftoff-only');
}

/**
 * SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish, then close the
 * database and Redis (Nest's shutdown hooks). A second signal or the timeout forces exit.
 */
function handleShutdownSignals(app: NestFastifyApplication, config: AppConfig, logger: Logger, exit: (code: number) => void): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn(`${signal} received again; exiting now`);
      exit(1);
      return;
    }
    closing = true;
    logger.info(`${signal} received; draining in-flight requests`);
    const force = setTimeout(() => {
      logger.error(`Shutdown took longer than ${config.http.shutdownTimeoutMs} ms; exiting`);
      exit(1);
    }, config.http.shutdownTimeoutMs);
    force.unref();
    app
      .close()
      .then(() => {
        logger.info('Shutdown complete');
        logger.flush();
        exit(0);
      })
      .catch((error: Error) => {
        logger.error({ err: error }, 'Shutdown failed');
        exit(1);
      });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
