import { PrismaService } from '@backlot/database';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Script } from 'node:vm';
import { CredentialsService } from '../../../apps/api/src/users/credentials.service';
import { SetupService } from '../../../apps/api/src/setup/setup.service';
import { UsersService } from '../../../apps/api/src/users/users.service';
import { createUser, login, PASSWORD, postJson, uniqueEmail } from '@backlot/testing/auth';
import { type RunningServer, setupTokenIn, startServer } from '@backlot/testing/running-server';
import { json } from '@backlot/testing/test-app';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';
import { startTimingClient } from '@backlot/testing/timing-client';

interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { path: string }[];
}

const PROBLEM_JSON = 'application/problem+json';
const aToken = () => randomBytes(32).toString('base64url');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

async function expectProblem(response: Response, status: number, type: string): Promise<Problem> {
  const body = await json<Problem>(response);
  expect({ status: response.status, contentType: response.headers.get('content-type'), type: body.type }).toEqual({
    status,
    contentType: expect.stringContaining(PROBLEM_JSON),
    type: `https://backlot.dev/problems/${type}`,
  });
  return body;
}

const setupOpen = async (t: RunningServer) => json<{ open: boolean }>(await t.request('/api/v1/setup'));

describe(`the first admin through the setup URL, on ${TEST_DATABASE_URL ? 'PostgreSQL' : 'the embedded database'}`, () => {
  let t: RunningServer;
  let token: string;

  beforeAll(async () => {
    // No console build: the setup URL is the standalone page (the console's own form is tested with the console).
    t = await startServer({ env: { AUTH_RATE_LIMIT_MAX: '1000', CONSOLE_DIR: join(tmpdir(), 'backlot-no-console-build') } });
    token = setupTokenIn(t.lines)!;
  });
  afterAll(() => t?.close());

  it('logs a setup URL with a one-time token at the first start, and says setup is open', async () => {
    const announcements = t.lines.filter((line) => line.includes('No admin account yet'));
    expect(announcements).toHaveLength(1);
    const logged = JSON.parse(announcements[0]) as { level: string; msg: string };
    expect(logged.level).toBe('warn');
    // In the fragment, which browsers never send: the token reaches no request line, so no access log.
    expect(logged.msg).toContain(`${t.baseUrl}/_/setup#token=${token}`);
    expect(logged.msg).toMatch(/within 60 minutes/);
    expect(await setupOpen(t)).toEqual({ open: true });
  });

  it('without a console build, serves a setup page whose only code is its own script file, under a policy that allows nothing else', async () => {
    const page = await t.request('/_/setup');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const policy = page.headers.get('content-security-policy')!;
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script src="/_/setup.js" defer>']);
    expect(html).not.toMatch(/\son\w+=|style=|<style/i);

    const script = await t.request('/_/setup.js');
    expect(script.headers.get('content-type')).toContain('text/javascript');
    const code = await script.text();
    expect(() => new Script(code)).not.toThrow();
    expect(code).toContain('location.hash');
    expect(code).toContain("'/api/v1/setup/admin'");
  });

  it('refuses a wrong token (403), malformed input and a weak password (400) with reasons, and keeps the token', async () => {
    const email = uniqueEmail('first');
    const wrong = await expectProblem(await postJson(t, '/setup/admin', { token: aToken(), email, password: PASSWORD }), 403, 'forbidden');
    expect(wrong.detail).toMatch(/token is wrong, expired or already used/);

    const malformed = await expectProblem(
      await postJson(t, '/setup/admin', { token: 'abc', email: 'nope', password: 'x' }),
      400,
      'validation',
    );
    expect(malformed.errors!.map((error) => error.path).sort()).toEqual(['email', 'password', 'token']);
    const weak = await expectProblem(await postJson(t, '/setup/admin', { token, email, password: '1234567890' }), 400, 'validation');
    expect(weak.errors!.map((error) => error.path)).toEqual(['password']);

    expect(await setupOpen(t)).toEqual({ open: true });
  });

  it('answers a wrong token no sooner than a right one: the password is hashed before the token is looked at', async () => {
    const client = startTimingClient();
    try {
      const requests: number[] = [];
      const hashes: number[] = [];
      const credentials = t.app.get(CredentialsService);
      for (let sample = 0; sample < 12; sample++) {
        const body = JSON.stringify({ token: aToken(), email: uniqueEmail('timing'), password: PASSWORD });
        const answer = await client.time(`${t.baseUrl}/api/v1/setup/admin`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        expect(answer.status).toBe(403);
        requests.push(answer.ms);
        const started = performance.now();
        await credentials.hashPassword(PASSWORD);
        hashes.push(performance.now() - started);
      }
      // Checking the token first answers in a few milliseconds; argon2id takes tens here.
      const [requestMs, hashMs] = [median(requests), median(hashes)];
      expect({ requestMs, hashMs, hashedFirst: requestMs >= 0.6 * hashMs }).toMatchObject({ hashedFirst: true });
    } finally {
      await client.close();
    }
  });

  it('creates a verified admin with the token, once; setup is then closed and the token is never logged again', async () => {
    const email = uniqueEmail('first');
    const created = await postJson(t, '/setup/admin', { token, email, password: PASSWORD });
    expect(created.status).toBe(201);
    const admin = await json<{ id: string; email: string; role: string; emailVerified: boolean }>(created);
    expect(admin).toMatchObject({ email, role: 'admin', emailVerified: true });
    expect((await login(t, email, PASSWORD)).accessToken).toEqual(expect.any(String));

    const again = await expectProblem(
      await postJson(t, '/setup/admin', { token, email: uniqueEmail('second'), password: PASSWORD }),
      410,
      'gone',
    );
    expect(again.detail).toMatch(/an admin account exists/);
    expect(await setupOpen(t)).toEqual({ open: false });

    const prisma = t.app.get(PrismaService);
    expect(await prisma.setting.count({ where: { key: { startsWith: 'setup.token.' } } })).toBe(0);
    const events = await prisma.auditEvent.findMany({ where: { action: 'setup.admin-created' }, orderBy: { at: 'asc' } });
    expect(events.filter((event) => event.outcome === 'success')).toEqual([
      expect.objectContaining({ actorType: 'anonymous', targetType: 'user', targetId: admin.id, details: { via: 'setup-token' } }),
    ]);
    expect(events.filter((event) => event.outcome === 'denied').map((event) => (event.details as { reason: string }).reason)).toEqual(
      expect.arrayContaining(['invalid-token', 'closed']),
    );
    expect(t.lines.filter((line) => line.includes(token))).toHaveLength(1);
  });
});

describe('setup tokens of a deployment without an admin', () => {
  let t: RunningServer;
  beforeEach(async () => {
    t = await startServer();
  });
  afterEach(() => t?.close());

  /** What another instance, or a restart, does at its start: a token of its own, logged. */
  async function anotherToken(): Promise<string> {
    await t.app.get(SetupService).openIfNoAdmin(t.baseUrl);
    return setupTokenIn(t.lines)!;
  }

  it('refuses an expired token, and drops it when the next token is handed out', async () => {
    const token = setupTokenIn(t.lines)!;
    const prisma = t.app.get(PrismaService);
    const past = { expiresAt: new Date(Date.now() - 1_000).toISOString() };
    expect((await prisma.setting.updateMany({ where: { key: { startsWith: 'setup.token.' } }, data: { value: past } })).count).toBe(1);
    await expectProblem(await postJson(t, '/setup/admin', { token, email: uniqueEmail('late'), password: PASSWORD }), 403, 'forbidden');

    const fresh = await anotherToken();
    expect(await prisma.setting.count({ where: { key: { startsWith: 'setup.token.' } } })).toBe(1);
    expect((await postJson(t, '/setup/admin', { token: fresh, email: uniqueEmail('fresh'), password: PASSWORD })).status).toBe(201);
  });

  it('creates one admin when several tokens are used at the same moment', async () => {
    const tokens = [setupTokenIn(t.lines)!, await anotherToken(), await anotherToken(), await anotherToken()];
    expect(new Set(tokens).size).toBe(4);
    const answers = await Promise.all(
      tokens.map((token) => postJson(t, '/setup/admin', { token, email: uniqueEmail('racer'), password: PASSWORD })),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 410, 410, 410]);
    expect(await t.app.get(PrismaService).user.count({ where: { role: 'admin' } })).toBe(1);
  });

  it('takes turns creating the first admin: claims that would all succeed at once still create one', async () => {
    // Each claim waits (up to 500 ms) for the others to reach theirs: without turns they all would, and all succeed.
    const racers = 4;
    let arrived = 0;
    const claim = async () => {
      arrived += 1;
      const deadline = Date.now() + 500;
      while (arrived < racers && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      return true;
    };
    const users = t.app.get(UsersService);
    const results = await Promise.all(
      Array.from({ length: racers }, () => users.createFirstAdmin({ email: uniqueEmail('turns'), passwordHash: 'x' }, claim)),
    );
    expect(results.map((result) => (typeof result === 'string' ? result : 'created')).sort()).toEqual([
      'admin-exists',
      'admin-exists',
      'admin-exists',
      'created',
    ]);
  });

  it('tells only a token holder that an address has an account (409), and keeps the token for another address', async () => {
    const token = setupTokenIn(t.lines)!;
    const { email } = await createUser(t);
    await expectProblem(await postJson(t, '/setup/admin', { token: aToken(), email, password: PASSWORD }), 403, 'forbidden');
    await expectProblem(await postJson(t, '/setup/admin', { token, email, password: PASSWORD }), 409, 'conflict');
    expect((await postJson(t, '/setup/admin', { token, email: uniqueEmail('other'), password: PASSWORD })).status).toBe(201);
  });
});
