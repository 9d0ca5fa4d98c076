import { randomBytes } from 'node:crypto';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, type TestApp } from '@backlot/testing/test-app';
import { type AdminApp, auditEvents, problem, startAdminApp } from './admin-helpers';

interface Settings {
  groups: { name: string; label: string; settings: { key: string; env: string | null; value: unknown; secret: boolean }[] }[];
}

const token = (label: string) => `${label}-${randomBytes(24).toString('hex')}`;
const SMTP_PASSWORD = token('smtp-password');

/** Secrets planted in the environment of the app under test: none may show up in the answer. */
const SECRETS = {
  JWT_SECRET: token('jwt'),
  JWT_PREVIOUS_SECRETS: token('jwt-old'),
  ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  ENCRYPTION_PREVIOUS_KEYS: randomBytes(32).toString('base64'),
  ADMIN_PASSWORD: token('admin-password'),
  METRICS_TOKEN: token('metrics'),
  AUTH_GITHUB_CLIENT_SECRET: token('github-secret'),
};

describe('admin: settings', () => {
  let app: AdminApp;
  let t: TestApp;
  let admin: UserSession;

  beforeAll(async () => {
    app = await startAdminApp({
      env: {
        ...SECRETS,
        ADMIN_EMAIL: `root-${Date.now().toString(36)}@example.test`,
        // An unreachable server: nothing in this file sends mail, the URL is only read.
        SMTP_URL: `smtp://mailer:${SMTP_PASSWORD}@127.0.0.1:9/`,
        AUTH_PROVIDERS: 'github',
        AUTH_GITHUB_CLIENT_ID: 'github-client-id',
      },
    });
    ({ t, admin } = app);
  });
  afterAll(() => t.close());

  const settings = async () => app.conforms('GET', '/admin/settings', await admin.request('/admin/settings'));
  const find = (body: Settings, group: string, key: string) =>
    body.groups.find((each) => each.name === group)?.settings.find((each) => each.key === key);

  it('shows the effective configuration, grouped, with every planted secret masked and none of their values', async () => {
    const response = await settings();
    expect(response.status).toBe(200);
    const text = await response.text();
    const planted = [...Object.values(SECRETS), SMTP_PASSWORD, t.config.auth.jwtSecret, t.config.auth.encryptionKey];
    for (const value of planted) expect({ value, found: text.includes(value) }).toEqual({ value, found: false });
    // The PostgreSQL run's database URL carries a password of its own.
    if (t.config.database.kind === 'postgres') {
      const password = new URL(t.config.database.url).password;
      if (password) expect(text).not.toContain(password);
    }

    const body = JSON.parse(text) as Settings;
    expect(body.groups.map((group) => group.name)).toEqual(
      expect.arrayContaining(['server', 'database', 'cache', 'auth', 'signIn', 'rateLimits', 'storage', 'mail', 'jobs']),
    );
    expect(find(body, 'auth', 'jwtSecret')).toEqual({ key: 'jwtSecret', env: 'JWT_SECRET', value: '********', secret: true });
    expect(find(body, 'auth', 'bootstrapAdminPassword')?.value).toBe('********');
    expect(find(body, 'observability', 'metricsToken')?.value).toBe('********');
    expect(find(body, 'signIn', 'github.clientSecret')?.value).toBe('********');
    expect(find(body, 'signIn', 'github.clientId')?.value).toBe('github-client-id');
    expect(find(body, 'mail', 'smtpUrl')).toMatchObject({ value: 'smtp://mailer:********@127.0.0.1:9/', secret: true });
    expect(find(body, 'database', 'kind')?.value).toBe(t.config.database.kind);
    expect(find(body, 'storage', 'driver')?.value).toBe('local');
    expect(find(body, 'rateLimits', 'max')).toMatchObject({ env: 'RATE_LIMIT_MAX', value: 100_000, secret: false });
    expect(find(body, 'auth', 'accessTokenTtlSeconds')?.value).toBe(t.config.auth.accessTokenTtlSeconds);
  });

  it('is audited as admin.settings.view', async () => {
    await settings();
    const events = await auditEvents(admin, { action: 'admin.settings.view', actorId: admin.userId });
    expect(events[0]).toMatchObject({ action: 'admin.settings.view', outcome: 'success' });
  });

  it('refuses a caller who is not signed in (401) and a signed-in non-admin (403)', async () => {
    await problem(await app.conforms('GET', '/admin/settings', await t.request('/api/v1/admin/settings')), 401);
    const user = await signedInUser(t);
    const refused = await problem(await app.conforms('GET', '/admin/settings', await user.request('/admin/settings')), 403);
    expect(JSON.stringify(refused)).not.toContain(SECRETS.JWT_SECRET);
  });

  it('is read-only: writes are not routes', async () => {
    const response = await admin.json('PUT', '/admin/settings', { groups: [] });
    expect([404, 405]).toContain(response.status);
    expect(await json<{ status: number }>(response)).toMatchObject({ status: response.status });
  });
});
