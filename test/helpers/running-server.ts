import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@backlot/config';
import type { AddressInfo } from 'node:net';
import { runServer } from '../../apps/api/src/server';
import type { TestApp } from './test-app';
import { createTestEnvironment } from './test-env';

export interface RunningServer extends TestApp {
  /** Every log line so far (JSON), from LOG_LEVEL info. */
  lines: string[];
}

/**
 * The app started as `npm start` starts it (runServer: after listening it announces first-run
 * setup and publishes DATA_DIR/server.json), on a test environment; logs are captured.
 * `sameEnvironmentAs` restarts a deployment whose app was closed (`app.close()`, which keeps the
 * environment): its database must outlive the app (on disk, or PostgreSQL).
 */
export async function startServer(
  options: { env?: Record<string, string>; sameEnvironmentAs?: RunningServer } = {},
): Promise<RunningServer> {
  const environment = options.sameEnvironmentAs?.environment ?? (await createTestEnvironment(options.env));
  const env = { ...environment.env, LOG_LEVEL: 'info' };
  const lines: string[] = [];
  const problems: string[] = [];
  let app: NestFastifyApplication | undefined;
  try {
    app = await runServer({
      env,
      exit: (code) => problems.push(`exit ${code}`),
      stderr: (message) => problems.push(message),
      handleSignals: false,
      logDestination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) },
    });
  } finally {
    if (!app) await environment.cleanup();
  }
  if (!app) throw new Error(`the server did not start: ${problems.join('\n')}`);
  const started = app;
  const baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  return {
    app,
    config: loadConfig(env),
    baseUrl,
    environment,
    lines,
    request: (path, init) => fetch(`${baseUrl}${path}`, init),
    close: async () => {
      await started.close();
      await environment.cleanup();
    },
  };
}

/** The token of the newest setup URL in the log. */
export function setupTokenIn(lines: readonly string[]): string | undefined {
  return lines
    .map((line) => /\/_\/setup#token=([A-Za-z0-9_-]{43})/.exec(line)?.[1])
    .filter(Boolean)
    .at(-1);
}
