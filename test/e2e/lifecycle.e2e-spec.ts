import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PrismaService } from '@backlot/database';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer } from '../../apps/api/src/server';
import { ProbeController, ProbeModule } from '@backlot/testing/probe.module';
import { startTestApp } from '@backlot/testing/test-app';

async function start(env: Record<string, string>) {
  const exit = jest.fn();
  const messages: string[] = [];
  const app = await runServer({
    env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', ...env },
    exit,
    stderr: (m) => messages.push(m),
    handleSignals: false,
  });
  return { app, exit, output: messages.join('\n') };
}

describe('start-up', () => {
  it('exits 1 with one message listing every invalid variable', async () => {
    const { app, exit, output } = await start({ PORT: 'eighty', DATABASE_URL: 'mysql://db/x', REDIS_URL: 'nope', LOG_LEVEL: 'loud' });
    expect(app).toBeUndefined();
    expect(exit).toHaveBeenCalledWith(1);
    for (const name of ['PORT', 'DATABASE_URL', 'REDIS_URL', 'LOG_LEVEL']) expect(output).toContain(`${name}:`);
    expect(output).toMatch(/4 problems/);
  });

  it('refuses to start in production without real secrets', async () => {
    const { exit, output } = await start({ NODE_ENV: 'production', JWT_SECRET: 'changeme-changeme-changeme-changeme' });
    expect(exit).toHaveBeenCalledWith(1);
    expect(output).toContain('JWT_SECRET: is a default or guessable value');
    expect(output).toContain('ENCRYPTION_KEY: is required in production');
  });

  it('exits 1 with a clear message when the database cannot be reached', async () => {
    const { app, exit, output } = await start({
      DATABASE_URL: 'postgresql://postgres:hunter2@127.0.0.1:1/backlot',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
    });
    expect(app).toBeUndefined();
    expect(exit).toHaveBeenCalledWith(1);
    expect(output).toContain('Cannot reach the database (PostgreSQL postgres@127.0.0.1:1/backlot): connection refused');
    expect(output).not.toContain('hunter2');
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('starts, serves, and stops cleanly on SIGTERM', async () => {
    const before = process.listeners('SIGTERM');
    const exit = jest.fn();
    const dataDir = mkdtempSync(join(tmpdir(), 'backlot-sigterm-'));
    const app = (await runServer({
      env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: dataDir, PGLITE_DATA_DIR: 'memory://' },
      exit,
    }))!;
    try {
      const { port } = app.getHttpServer().address() as { port: number };
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/health/live`)).status).toBe(200);
      process.emit('SIGTERM', 'SIGTERM');
      await waitFor(() => exit.mock.calls.length > 0);
      expect(exit).toHaveBeenCalledWith(0);
      await expect(fetch(`http://127.0.0.1:${port}/api/v1/health/live`)).rejects.toThrow();
    } finally {
      for (const listener of process.listeners('SIGTERM')) if (!before.includes(listener)) process.off('SIGTERM', listener);
      for (const listener of process.listeners('SIGINT')) if (!before.includes(listener)) process.off('SIGINT', listener);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('graceful shutdown', () => {
  it('lets in-flight requests finish, then refuses new connections', async () => {
    const t = await startTestApp({ imports: [ProbeModule] });
    const started = ProbeController.slowStarted;
    const inFlight = t.request('/api/v1/probe/slow?ms=400');
    // Close only once the request is being handled: a fixed delay raced the connect on a loaded machine.
    await waitFor(() => ProbeController.slowStarted > started);
    const closing = t.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ waited: 400 });
    await closing;
    await expect(t.request('/api/v1/health/live')).rejects.toThrow();
  });
});

describe('embedded database on disk', () => {
  it('keeps data across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backlot-persist-'));
    const env = { DATABASE_URL: '', PGLITE_DATA_DIR: join(dir, 'nested', 'pglite') };
    try {
      const first = await startTestApp({ env });
      await first.app.get(PrismaService).setting.create({ data: { key: 'greeting', value: { text: 'hello' } } });
      await first.close();

      const second = await startTestApp({ env });
      try {
        const setting = await (second.app as NestFastifyApplication).get(PrismaService).setting.findUnique({ where: { key: 'greeting' } });
        expect(setting?.value).toEqual({ text: 'hello' });
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a second process on the same data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backlot-lock-'));
    const lockFile = join(dir, 'pglite.lock');
    try {
      // A live process (our parent) holding the lock stands in for a running server.
      writeFileSync(lockFile, String(process.ppid));
      const { exit, output } = await start({ DATABASE_URL: '', DATA_DIR: dir, PGLITE_DATA_DIR: join(dir, 'pglite') });
      expect(exit).toHaveBeenCalledWith(1);
      expect(output).toContain(`is in use by process ${process.ppid}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
