import { PrismaService } from '@backlot/database';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_SECRET_HEADER, readLocalServer } from '../../../apps/api/src/setup/local-cli-access';
import { createUser, login, PASSWORD, postJson, uniqueEmail } from '@backlot/testing/auth';
import { type RunningServer, startServer } from '@backlot/testing/running-server';

const PROJECT = join(__dirname, '..', '..', '..');
const CLI = join(PROJECT, 'dist', 'apps', 'cli', 'src', 'main.js');

// A fresh embedded database on disk (initdb) and a CLI process per command: slower than most.
jest.setTimeout(240_000);

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The compiled CLI against the test's running server: the embedded database on disk, held by
 * the server (this process). The build is brought up to date first, as `npm run admin:create` does.
 */
describe('the CLI while the server holds the embedded database', () => {
  const home = mkdtempSync(join(tmpdir(), 'backlot-cli-server-'));
  // An empty DATABASE_URL keeps the deployment embedded when the suite runs on PostgreSQL.
  const env = { DATA_DIR: home, PGLITE_DATA_DIR: join(home, 'pglite'), DATABASE_URL: '', REDIS_URL: '' };
  let t: RunningServer;

  function cli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: PROJECT,
        env: { PATH: process.env.PATH, NODE_ENV: 'test', ...env, ...options.env },
        stdio: 'pipe',
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += String(chunk)));
      child.stderr.on('data', (chunk) => (stderr += String(chunk)));
      child.stdin.end(options.stdin ?? '');
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['scripts/build.js', '--if-changed'], { cwd: PROJECT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
    t = await startServer({ env });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('publishes its address and a secret for the CLI in DATA_DIR/server.json, owner-only', () => {
    expect(readLocalServer(home)).toEqual({ pid: process.pid, url: t.baseUrl, secret: expect.any(String) });
    expect(statSync(join(home, 'server.json')).mode & 0o777).toBe(0o600);
  });

  it('create-admin creates the first admin through the running server (password on stdin), which closes setup', async () => {
    const email = uniqueEmail('ops');
    const run = await cli(['create-admin', email], { stdin: `${PASSWORD}\n` });
    expect(run).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^Created admin ${email} \\([0-9a-f-]{36}\\)\\.\\n$`)) });
    expect((await login(t, email, PASSWORD)).accessToken).toEqual(expect.any(String));
    expect(await (await t.request('/api/v1/setup')).json()).toEqual({ open: false });
    const event = await t.app.get(PrismaService).auditEvent.findFirst({ where: { action: 'setup.admin-created', outcome: 'success' } });
    expect(event).toMatchObject({ actorType: 'system', details: { via: 'cli' } });
  });

  it('create-admin promotes an existing account without asking for a password, and takes ADMIN_PASSWORD alone', async () => {
    const existing = await createUser(t);
    expect(await cli(['create-admin', existing.email])).toMatchObject({ code: 0, stdout: `Promoted ${existing.email} to admin.\n` });
    expect(await cli(['create-admin', existing.email])).toMatchObject({ code: 0, stdout: `${existing.email} is already an admin.\n` });

    const email = uniqueEmail('from-env');
    expect(await cli(['create-admin', email], { env: { ADMIN_PASSWORD: PASSWORD } })).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`Created admin ${email}`),
    });
    expect(await cli(['create-admin', uniqueEmail('weak')], { env: { ADMIN_PASSWORD: 'short' } })).toMatchObject({
      code: 2,
      stdout: 'The password must be at least 10 characters.\n',
    });
  });

  it('refuses CLI calls without the secret, with a wrong one, or relayed by a proxy, and audits them', async () => {
    const { secret } = readLocalServer(home)!;
    const body = { email: uniqueEmail('intruder'), password: PASSWORD };
    const statuses = [
      await postJson(t, '/setup/local-admin', body),
      await postJson(t, '/setup/local-admin', body, { [LOCAL_SECRET_HEADER]: `${secret.slice(1)}A` }),
      // TRUST_PROXY is off: the header proves nothing about the caller, but says a proxy relays it.
      await postJson(t, '/setup/local-admin', body, { [LOCAL_SECRET_HEADER]: secret, 'x-forwarded-for': '127.0.0.1' }),
    ].map((response) => response.status);
    expect(statuses).toEqual([403, 403, 403]);
    const denied = await t.app
      .get(PrismaService)
      .auditEvent.count({ where: { action: 'access.denied', details: { path: ['route'], equals: '/api/v1/setup/local-admin' } } });
    expect(denied).toBe(3);
    expect(await t.app.get(PrismaService).user.count({ where: { email: body.email } })).toBe(0);
  });

  it('migrate and backup refuse while the server runs, saying what to do instead', async () => {
    const migrate = await cli(['migrate']);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toMatch(/in use by process \d+[\s\S]*Stop it first; its next start applies pending migrations/);
    const backup = await cli(['backup']);
    expect(backup.code).toBe(1);
    expect(backup.stderr).toMatch(/in use by process \d+[\s\S]*admin API/);
  });

  it('removes server.json when it stops (create-admin then opens the database itself); a restart with an admin logs no setup URL', async () => {
    await t.app.close();
    expect(existsSync(join(home, 'server.json'))).toBe(false);
    const email = uniqueEmail('direct');
    expect(await cli(['create-admin', email], { stdin: `${PASSWORD}\n` })).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`Created admin ${email}`),
    });
    t = await startServer({ env, sameEnvironmentAs: t });
    expect(t.lines.filter((line) => line.includes('No admin account yet'))).toEqual([]);
    expect(await t.app.get(PrismaService).setting.count({ where: { key: { startsWith: 'setup.token.' } } })).toBe(0);
    expect(readLocalServer(home)?.url).toBe(t.baseUrl);
    expect((await login(t, email, PASSWORD)).accessToken).toEqual(expect.any(String));
  });
});
