import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type AddressInfo, isIPv6 } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { type AppConfig, ConfigError, loadConfig, secureDataDirs, useOwnerOnlyUmask } from '@backlot/config';
import { createLogDestination, createLogger, MetricsListener } from '@backlot/observability';
import type { DestinationStream, Logger } from 'pino';
import { createApp } from './app.factory';
import { LocalCliAccess } from './setup/local-cli-access';
import { SetupService } from './setup/setup.service';

export interface ServerOptions {
  env?: Readonly<Record<string, string | undefined>>;
  exit?: (code: number) => void;
  stderr?: (message: string) => void;
  handleSignals?: boolean;
  /** Where logs go (default: stdout). */
  logDestination?: DestinationStream;
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
  // Before anything is written: loading the configuration may already create DATA_DIR/secrets.json.
  useOwnerOnlyUmask();
  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    stderr(error instanceof ConfigError ? error.message : `Invalid configuration: ${(error as Error).message}`);
    exit(1);
    return undefined;
  }
  let repaired: number;
  try {
    repaired = secureDataDirs(config);
  } catch (error) {
    stderr(`Backlot refuses to start: ${(error as Error).message}`);
    exit(1);
    return undefined;
  }

  useCompactWasmCode();
  const logDestination = options.logDestination ?? createLogDestination();
  const logger = createLogger(config.observability.logLevel, logDestination);
  if (repaired > 0) logger.warn(`Made ${repaired} files and directories of Backlot's data owner-only (others could read them)`);
  for (const warning of config.warnings) logger.warn(warning);
  let app: NestFastifyApplication | undefined;
  let metrics: AddressInfo | undefined;
  try {
    app = await createApp(config, { logDestination });
    await app.listen({ host: config.http.host, port: config.http.port });
    metrics = await app.get(MetricsListener).start();
    const url = localUrl(config.http.host, (app.getHttpServer().address() as AddressInfo).port);
    app.get(LocalCliAccess).publish(url);
    await app.get(SetupService).openIfNoAdmin(url);
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
  if (metrics) {
    const host = metrics.family === 'IPv6' ? `[${metrics.address}]` : metrics.address;
    logger.info(`Metrics on http://${host}:${metrics.port}/metrics (not on the API port)`);
  }
  if (options.handleSignals ?? true) handleShutdownSignals(app, config, logger, exit);
  return app;
}

/** How a process on this machine reaches the server (a wildcard address is not one to connect to). */
function localUrl(host: string, port: number): string {
  if (host === '' || host === '0.0.0.0') return `http://127.0.0.1:${port}`;
  if (host === '::') return `http://[::1]:${port}`;
  return isIPv6(host) ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

/**
 * WebAssembly runs here on every database: Prisma's query compiler always, the schema engine
 * for migrations, and PGlite (PostgreSQL itself) when embedded. V8's optimising tier compiles
 * a second, larger copy of each in background threads, whose memory glibc then keeps: ~57 MB
 * resident for the query compiler alone, ~50 MB more for PGlite. The baseline compiler alone
 * measured as fast here for PGlite's workload, and the query compiler runs only for Prisma's
 * queries (the records hot path is plain SQL). Must run before any WebAssembly is compiled.
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
