import { randomBytes } from 'node:crypto';
import type { ModuleMetadata } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { type AppConfig, loadConfig } from '@backlot/config';
import { createApp } from '@backlot/api';
import { createTestEnvironment, type TestEnvironment } from './test-env';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  baseUrl: string;
  environment: TestEnvironment;
  /** fetch() against the app: real HTTP over a real socket. */
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  imports?: NonNullable<ModuleMetadata['imports']>;
  /** Capture the app's logs (set LOG_LEVEL in env too; tests default to silent). */
  logDestination?: DestinationStream;
  /** Share another app's database and Redis prefix (a second instance of the same deployment). */
  sameEnvironmentAs?: TestApp;
  /**
   * Changes the loaded configuration before the app is built: for values the environment may
   * not set, such as an access-token lifetime of a few seconds (ACCESS_TOKEN_TTL_SECONDS takes 30 or more).
   */
  tune?: (config: AppConfig) => AppConfig;
}

/** Boots the real app on Fastify, listening on a free port, over a fresh database. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const shared = options.sameEnvironmentAs?.environment;
  const environment = shared
    ? { ...shared, env: { ...shared.env, ...options.env }, cleanup: async () => undefined }
    : await createTestEnvironment(options.env);
  const loaded = loadConfig(environment.env);
  const config = options.tune ? options.tune(loaded) : loaded;
  let app: NestFastifyApplication | undefined;
  try {
    app = await createApp(config, { imports: options.imports, logDestination: options.logDestination });
    await app.listen({ host: '127.0.0.1', port: 0 });
  } catch (error) {
    // A start refused while it initialised (a failed check) must not leave its pools open.
    await app?.close().catch(() => undefined);
    await environment.cleanup();
    throw error;
  }
  const started = app;
  const address = started.getHttpServer().address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    app: started,
    config,
    baseUrl,
    environment,
    request: (path, init) => fetch(`${baseUrl}${path}`, init),
    close: async () => {
      await started.close();
      await environment.cleanup();
    },
  };
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** Two instances of one deployment need PostgreSQL and Redis; on the embedded database there is only ever one. */
export const SHARED_SERVICES = Boolean(process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL);

/**
 * Two instances of one deployment: the same database, Redis prefix, signing secret and
 * encryption key (test secrets are otherwise generated per app). Close `b` before `a`.
 */
export async function startTwoInstances(options: Omit<TestAppOptions, 'sameEnvironmentAs'> = {}): Promise<[TestApp, TestApp]> {
  const env = { JWT_SECRET: randomBytes(32).toString('base64url'), ENCRYPTION_KEY: randomBytes(32).toString('base64'), ...options.env };
  const a = await startTestApp({ ...options, env });
  try {
    return [a, await startTestApp({ ...options, env, sameEnvironmentAs: a })];
  } catch (error) {
    await a.close();
    throw error;
  }
}
