import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MetricsListener } from '@backlot/observability';
import { randomBytes } from 'node:crypto';
import { runServer } from '../../apps/api/src/server';
import { createTestEnvironment, type TestEnvironment } from '@backlot/testing/test-env';

const PROBLEM = /^application\/problem\+json/;
const TOKEN = randomBytes(48).toString('base64');

interface Started {
  app: NestFastifyApplication;
  api: string;
  /** Base URL of the metrics listener, when there is one. */
  metrics?: string;
  environment: TestEnvironment;
}

async function start(env: Record<string, string>): Promise<Started> {
  const environment = await createTestEnvironment({ METRICS_PORT: '0', ...env });
  const app = await runServer({ env: environment.env, exit: () => undefined, stderr: () => undefined, handleSignals: false });
  if (!app) throw new Error('the server did not start');
  const { port } = app.getHttpServer().address() as { port: number };
  const metrics = app.get(MetricsListener).address();
  return { app, api: `http://127.0.0.1:${port}`, metrics: metrics && `http://${metrics.address}:${metrics.port}`, environment };
}

async function stop(started: Started | undefined): Promise<void> {
  await started?.app.close();
  await started?.environment.cleanup();
}

describe('metrics on their own listener (METRICS_PORT)', () => {
  let s: Started;

  beforeAll(async () => {
    s = await start({});
  });
  afterAll(() => stop(s));

  it('serves /metrics on its own port, on 127.0.0.1 unless told otherwise, counting the API port requests', async () => {
    expect(s.app.get(MetricsListener).address()?.address).toBe('127.0.0.1');
    await fetch(`${s.api}/api/v1/health/live`);

    const res = await fetch(`${s.metrics!}/metrics`);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toContain('http_request_duration_seconds_count{method="GET",route="/api/v1/health/live",status_code="200"}');
  });

  it('answers 404 for /metrics on the API port, like a path the API has no route for', async () => {
    const res = await fetch(`${s.api}/metrics`);

    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    expect(await res.json()).toMatchObject({ status: 404, detail: 'Cannot GET /metrics' });
  });

  it('serves nothing else on the metrics port', async () => {
    for (const [path, method] of [
      ['/api/v1/health/live', 'GET'],
      ['/metrics', 'POST'],
    ]) {
      const res = await fetch(`${s.metrics!}${path}`, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(PROBLEM);
      expect(await res.json()).toMatchObject({ status: 404, detail: 'This port serves only GET /metrics.' });
    }
  });
});

describe('metrics listener settings', () => {
  let s: Started | undefined;

  afterEach(() => stop(s));

  it('still requires METRICS_TOKEN there when it is set, and stops listening when the app closes', async () => {
    s = await start({ METRICS_TOKEN: TOKEN });

    const anonymous = await fetch(`${s.metrics!}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(PROBLEM);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="backlot"');
    expect((await fetch(`${s.metrics!}/metrics`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    expect((await fetch(`${s.metrics!}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);

    await s.app.close();
    await expect(fetch(`${s.metrics!}/metrics`)).rejects.toThrow();
  });

  it('switched off with METRICS_ENABLED=false: no listener, and 404 on the API port', async () => {
    s = await start({ METRICS_ENABLED: 'false' });

    expect(s.metrics).toBeUndefined();
    expect((await fetch(`${s.api}/metrics`)).status).toBe(404);
  });
});

describe('production start-up', () => {
  it('refuses to start with /metrics public (no METRICS_TOKEN, no METRICS_PORT), saying what to set', async () => {
    const exit = jest.fn();
    const messages: string[] = [];
    const app = await runServer({
      env: {
        NODE_ENV: 'production',
        PORT: '0',
        JWT_SECRET: randomBytes(48).toString('base64'),
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      },
      exit,
      stderr: (m) => messages.push(m),
      handleSignals: false,
    });

    expect(app).toBeUndefined();
    expect(exit).toHaveBeenCalledWith(1);
    expect(messages.join('\n')).toContain('METRICS_TOKEN: is required in production, or /metrics would be public');
  });
});
