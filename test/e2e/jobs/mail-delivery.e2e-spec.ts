import { DatabaseConnection } from '@backlot/database';
import { createUser, postJson } from '../../helpers/auth';
import { startSmtpInbox, type SmtpInbox } from '../../helpers/smtp-inbox';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { eventually, queueOf } from '../../helpers/test-jobs';

const FAST_RETRIES = { JOBS_POLL_INTERVAL_MS: '100', JOBS_BACKOFF_SECONDS: '1', AUTH_RATE_LIMIT_MAX: '1000' };

async function mailJobs(t: TestApp) {
  return (await queueOf(t).list({ name: 'mail.send', limit: 200 })).items;
}

describe('mail through the job queue', () => {
  let inbox: SmtpInbox;
  let t: TestApp;

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    t = await startTestApp({ env: { ...FAST_RETRIES, SMTP_URL: inbox.url, JOBS_MAX_ATTEMPTS: '4' } });
  });
  afterAll(async () => {
    await t?.close();
    await inbox?.close();
  });

  it('retries a delivery the SMTP server refused until it is accepted', async () => {
    const user = await createUser(t);
    inbox.failNext(2);
    expect((await postJson(t, '/auth/password/forgot', { email: user.email })).status).toBe(202);

    const mail = await inbox.waitForMail(user.email, { subject: /reset/i, timeoutMs: 20_000 });
    expect(mail.text).toMatch(/reset-password\?token=/);
    const job = await eventually('the mail job to complete', async () =>
      (await mailJobs(t)).find((candidate) => candidate.state === 'completed' && candidate.attempts === 3),
    );
    expect(job.lastError).toBeNull();
  });

  it('stores the queued message encrypted: no address or link in the jobs table', async () => {
    const user = await createUser(t);
    expect((await postJson(t, '/auth/password/forgot', { email: user.email })).status).toBe(202);
    await inbox.waitForMail(user.email, { subject: /reset/i });
    const rows = await t.app
      .get(DatabaseConnection)
      .query<{ payload: string }>(`SELECT payload::text AS payload FROM jobs WHERE name = 'mail.send'`);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.payload).toMatch(/"sealed": "enc:v1:/);
      expect(row.payload).not.toContain('@');
      expect(row.payload).not.toMatch(/token=/);
    }
  });
});

describe('mail when the SMTP server stays down', () => {
  let t: TestApp;
  let inbox: SmtpInbox | undefined;

  afterAll(async () => {
    await t?.close();
    await inbox?.close();
  });

  it('dead-letters the delivery after its attempts, and an admin retry delivers it once the server is back', async () => {
    inbox = await startSmtpInbox();
    const port = Number(new URL(inbox.url).port);
    await inbox.close();
    t = await startTestApp({ env: { ...FAST_RETRIES, SMTP_URL: `smtp://127.0.0.1:${port}`, JOBS_MAX_ATTEMPTS: '2' } });
    const user = await createUser(t);
    expect((await postJson(t, '/auth/password/forgot', { email: user.email })).status).toBe(202);

    const dead = await eventually('the mail job to be dead-lettered', async () =>
      (await mailJobs(t)).find((job) => job.state === 'failed'),
    );
    expect(dead.attempts).toBe(2);
    // The error names the recipient's domain only, never the address.
    expect(dead.lastError).toMatch(/@example\.test/);
    expect(dead.lastError).not.toContain(user.email);

    inbox = await startSmtpInbox(port);
    await queueOf(t).retry(dead.id);
    await expect(inbox.waitForMail(user.email, { subject: /reset/i, timeoutMs: 20_000 })).resolves.toBeDefined();
  });
});
