import type { ModuleMetadata } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { type AppConfig, loadConfig } from '@backlot/config';
import { createApp } from '../../apps/api/src/app.factory';
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
}

/** Boots the real app on Fastify, listening on a free port, over a fresh database. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const shared = options.sameEnvironmentAs?.environment;
  const environment = shared
    ? { ...shared, env: { ...shared.env, ...options.env }, cleanup: async () => undefined }
    : await createTestEnvironment(options.env);
  const config = loadConfig(environment.env);
  let app: NestFastifyApplication;
  try {
    app = await createApp(config, { imports: options.imports, logDestination: options.logDestination });
    await app.listen({ host: '127.0.0.1', port: 0 });
  } catch (error) {
    await environment.cleanup();
    throw error;
  }
  const address = app.getHttpServer().address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    app,
    config,
    baseUrl,
    environment,
    request: (path, init) => fetch(`${baseUrl}${path}`, init),
    close: async () => {
      await app.close();
      await environment.cleanup();
    },
  };
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}
