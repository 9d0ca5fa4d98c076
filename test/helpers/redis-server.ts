import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER_AVAILABLE = spawnSync('redis-server', ['--version']).status === 0;

/** A private redis-server the test can stop and restart (to simulate an outage). */
export class PrivateRedis {
  private process?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'backlot-redis-'));

  private constructor(readonly port: number) {}

  /** Data survives stop/start (append-only file, fsync on every write), as on a real server restart. */
  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      this.dir,
    ];
    this.process = spawn('redis-server', args, { stdio: 'ignore' });
    for (let attempt = 0; attempt < 100; attempt++) {
      if (
        spawnSync('redis-cli', ['-p', String(this.port), 'ping'])
          .stdout?.toString()
          .trim() === 'PONG'
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('redis-server did not start');
  }

  /** Cuts every pub/sub connection, as a network blip would; clients reconnect by themselves. */
  cutSubscribers(): void {
    const killed = spawnSync('redis-cli', ['-p', String(this.port), 'CLIENT', 'KILL', 'TYPE', 'pubsub'])
      .stdout?.toString()
      .trim();
    if (!killed || killed === '0') throw new Error(`no pub/sub connection to cut (${killed})`);
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** What an app's readiness says of Redis (`up` or `down`): readiness itself answers 200 either way. */
export async function redisHealthOf(app: { request(path: string): Promise<Response> }): Promise<string | undefined> {
  const body = (await (await app.request('/api/v1/health/ready')).json()) as { checks?: { redis?: { status?: string } } };
  return body.checks?.redis?.status;
}
