import { DatabaseConnection } from '@backlot/database';
import { createUser, PASSWORD, postJson, uniqueEmail } from '@backlot/testing/auth';
import { startSmtpInbox, type SmtpInbox } from '@backlot/testing/smtp-inbox';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';
import { eventually, queueOf } from '@backlot/testing/test-jobs';

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

  it('stores queued mails and the requests behind them encrypted: no address or link in the jobs table', async () => {
    const user = await createUser(t);
    expect((await postJson(t, '/auth/password/forgot', { email: user.email })).status).toBe(202);
    await inbox.waitForMail(user.email, { subject: /reset/i });
    const rows = await t.app
      .get(DatabaseConnection)
      .query<{ name: string; payload: string }>(
        `SELECT name, payload::text AS payload FROM jobs WHERE name ~ '^(mail|auth|users)\\.' AND name NOT LIKE '%.purge-%'`,
      );
    expect(new Set(rows.map((row) => row.name))).toEqual(new Set(['mail.send', 'auth.password-reset-requested']));
    for (const row of rows) {
      expect(row.payload).toMatch(/^\{"sealed": "enc:v1:[^"]+"\}$/);
      expect(row.payload).not.toContain('@');
      expect(row.payload).not.toMatch(/token=/);
    }
  });

  /** Runs `work` while the database refuses to queue jobs whose name matches `pattern` (SQL LIKE). */
  async function refusingJobs(pattern: string, work: () => Promise<void>): Promise<void> {
    const db = t.app.get(DatabaseConnection);
    await db.query(`CREATE FUNCTION refuse_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.name LIKE '${pattern}' THEN RAISE EXCEPTION 'jobs refused by the test'; END IF; RETURN NEW; END $$`);
    await db.query(`CREATE TRIGGER refuse_jobs BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION refuse_jobs()`);
    try {
      await work();
    } finally {
      await db.query('DROP TRIGGER refuse_jobs ON jobs');
      await db.query('DROP FUNCTION refuse_jobs()');
    }
  }

  it('fails a request whose job the database refuses to queue, alike for a new or known and a taken or unknown address', async () => {
    const taken = await createUser(t);
    const fresh = uniqueEmail('unqueued');
    const answer = async (response: Response) => {
      const { status, type, title, detail } = (await response.json()) as Record<string, unknown>;
      // Every 500 names its own error id.
      const quoted = String(detail).replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, '<error id>');
      return { status, contentType: response.headers.get('content-type'), type, title, detail: quoted };
    };
    await refusingJobs('auth.%', async () => {
      const forFresh = await answer(await postJson(t, '/auth/register', { email: fresh, password: PASSWORD }));
      const forTaken = await answer(await postJson(t, '/auth/register', { email: taken.email, password: PASSWORD }));
      expect(forFresh).toMatchObject({ status: 500, contentType: expect.stringMatching(/^application\/problem\+json/) });
      expect(forFresh.detail).not.toMatch(/refused by the test|jobs/);
      expect(forTaken).toEqual(forFresh);

      for (const route of ['/auth/password/forgot', '/auth/verify-email/resend']) {
        const forKnown = await answer(await postJson(t, route, { email: taken.email }));
        const forUnknown = await answer(await postJson(t, route, { email: uniqueEmail('nobody') }));
        expect(forKnown.status).toBe(500);
        expect(forUnknown).toEqual(forKnown);
      }
    });

    // The account was not made without its job: signing up again is a sign-up, with its confirmation.
    expect((await postJson(t, '/auth/register', { email: fresh, password: PASSWORD })).status).toBe(202);
    await inbox.waitForMail(fresh, { subject: /^Confirm your email address$/ });
  });

  it('retries the job that composes a mail the database refused to queue, and the mail goes out once it can', async () => {
    const email = uniqueEmail('retried');
    await refusingJobs('mail.send', async () => {
      expect((await postJson(t, '/auth/register', { email, password: PASSWORD })).status).toBe(202);
      await eventually('the sign-up job to fail an attempt', async () =>
        (await queueOf(t).list({ name: 'auth.signed-up', limit: 200 })).items.find((job) => job.attempts > 0 && job.lastError !== null),
      );
    });
    await inbox.waitForMail(email, { subject: /^Confirm your email address$/, timeoutMs: 20_000 });
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
