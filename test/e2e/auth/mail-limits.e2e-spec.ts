import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseConnection } from '@backlot/database';
import { AuditService } from '@backlot/security';
import { createUser, PASSWORD, postJson, signedInUser, uniqueEmail } from '@backlot/testing/auth';
import { linksIn, startSmtpInbox, tokenFromLink, type SmtpInbox } from '@backlot/testing/smtp-inbox';
import { json, SHARED_SERVICES, startTestApp, startTwoInstances, type TestApp } from '@backlot/testing/test-app';
import { eventually, jobsSettled, queueOf } from '@backlot/testing/test-jobs';

const LIMIT = 3;

/** Mails to `address` received since `after`. */
function mailsTo(inbox: SmtpInbox, address: string, after: number) {
  return inbox.messages.slice(after).filter((mail) => mail.to.includes(address));
}

async function suppressed(t: TestApp, since: Date) {
  const page = await t.app.get(AuditService).query({ action: 'mail.suppressed', from: since }, { limit: 200 });
  return page.items;
}

async function answers(responses: Response[]): Promise<unknown[]> {
  return Promise.all(responses.map(async (response) => ({ status: response.status, body: await json(response) })));
}

describe(`mail per inbox is limited (MAIL_RECIPIENT_LIMIT=${LIMIT})`, () => {
  let inbox: SmtpInbox;
  let t: TestApp;

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    t = await startTestApp({ env: { SMTP_URL: inbox.url, AUTH_RATE_LIMIT_MAX: '10000', MAIL_RECIPIENT_LIMIT: String(LIMIT) } });
  });
  afterAll(async () => {
    await t?.close();
    await inbox?.close();
  });

  it('sends the first password-reset mails and holds back the rest, answering every request alike and auditing each held-back one', async () => {
    const user = await createUser(t);
    const [after, since] = [inbox.messages.length, new Date()];
    const responses: Response[] = [];
    for (let i = 0; i < LIMIT + 4; i++) responses.push(await postJson(t, '/auth/password/forgot', { email: user.email }));
    const unknown = await postJson(t, '/auth/password/forgot', { email: uniqueEmail('nobody') });
    await jobsSettled(t);

    const [first, ...rest] = await answers([...responses, unknown]);
    expect(first).toMatchObject({ status: 202 });
    for (const answer of rest) expect(answer).toEqual(first);
    const mails = mailsTo(inbox, user.email, after);
    expect(mails).toHaveLength(LIMIT);

    const events = await suppressed(t, since);
    expect(events).toHaveLength(4);
    for (const event of events) {
      expect(event).toMatchObject({
        outcome: 'denied',
        actorType: 'system',
        targetType: 'mail-recipient',
        targetId: expect.stringMatching(/^[0-9a-f]{64}$/),
        details: { kind: 'password-reset', recipientDomain: 'example.test', limit: LIMIT, windowSeconds: 3600 },
      });
      expect(JSON.stringify(event)).not.toContain(user.email);
    }
    expect(new Set(events.map((event) => event.targetId)).size).toBe(1);

    // A held-back mail issued no link: the last one sent still works.
    const token = tokenFromLink(linksIn(mails[mails.length - 1].text)[0]);
    expect((await postJson(t, '/auth/password/reset', { token, password: 'a brand new passphrase 42' })).status).toBe(204);
  });

  it('sends the owner of a taken address only the first "someone tried to sign up" notices', async () => {
    const owner = await createUser(t);
    const after = inbox.messages.length;
    const responses: Response[] = [];
    for (let i = 0; i < LIMIT + 3; i++) responses.push(await postJson(t, '/auth/register', { email: owner.email, password: PASSWORD }));
    await jobsSettled(t);

    const [first, ...rest] = await answers(responses);
    expect(first).toMatchObject({ status: 202 });
    for (const answer of rest) expect(answer).toEqual(first);
    expect(mailsTo(inbox, owner.email, after).map((mail) => mail.subject)).toEqual(
      Array(LIMIT).fill('Someone tried to sign up with your email address'),
    );
  });

  it('counts every kind of mail to one inbox together, and +tags of an address as that inbox', async () => {
    const user = await signedInUser(t);
    const [local, domain] = user.email.split('@');
    const after = inbox.messages.length;
    // A reset mail, then sign-ups of fresh +tagged addresses: each is a new account, all in one inbox.
    expect((await postJson(t, '/auth/password/forgot', { email: user.email })).status).toBe(202);
    for (let i = 0; i < LIMIT + 2; i++)
      expect((await postJson(t, '/auth/register', { email: `${local}+${i}@${domain}`, password: PASSWORD })).status).toBe(202);
    await jobsSettled(t);

    const delivered = inbox.messages.slice(after).filter((mail) => mail.to.some((to) => to.startsWith(`${local}`)));
    expect(delivered).toHaveLength(LIMIT);
    // Another inbox has its own allowance.
    const other = await createUser(t);
    expect((await postJson(t, '/auth/password/forgot', { email: other.email })).status).toBe(202);
    await inbox.waitForMail(other.email, { subject: /^Reset your password$/, after });
  });

  it('stores a keyed hash per inbox, never the address', async () => {
    const rows = await t.app
      .get(DatabaseConnection)
      .query<{ row: string }>('SELECT row_to_json(c)::text AS row FROM mail_recipient_counts c');
    expect(rows.length).toBeGreaterThan(0);
    for (const { row } of rows) {
      expect(row).not.toContain('@');
      expect(row).toMatch(/"recipient_hash":"[0-9a-f]{64}"/);
    }
  });
});

describe('the per-inbox window', () => {
  let inbox: SmtpInbox;
  let t: TestApp;

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    t = await startTestApp({
      env: { SMTP_URL: inbox.url, AUTH_RATE_LIMIT_MAX: '10000', MAIL_RECIPIENT_LIMIT: '1', MAIL_RECIPIENT_WINDOW_SECONDS: '2' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await inbox?.close();
  });

  it('lets mail through again once the window has passed, and the cleanup job purges counters past their window', async () => {
    const user = await createUser(t);
    const after = inbox.messages.length;
    for (let i = 0; i < 2; i++) expect((await postJson(t, '/auth/password/forgot', { email: user.email })).status).toBe(202);
    // The mail is queued after the answer (its timing must not tell whether the account exists): wait for it first.
    await eventually('the first reset mail', () => mailsTo(inbox, user.email, after).length > 0);
    await jobsSettled(t);
    expect(mailsTo(inbox, user.email, after)).toHaveLength(1);

    await sleep(2_100);
    const db = t.app.get(DatabaseConnection);
    const counters = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM mail_recipient_counts'))[0].n;
    expect(await counters()).toBe(1);
    const purge = (await queueOf(t).enqueue('auth.purge-expired', {}))!;
    await jobsSettled(t);
    expect((await queueOf(t).get(purge)).state).toBe('completed');
    expect(await counters()).toBe(0);

    expect((await postJson(t, '/auth/password/forgot', { email: user.email })).status).toBe(202);
    await jobsSettled(t);
    expect(mailsTo(inbox, user.email, after)).toHaveLength(2);
  });
});

(SHARED_SERVICES ? describe : describe.skip)('two instances on PostgreSQL and Redis', () => {
  let inbox: SmtpInbox;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    [a, b] = await startTwoInstances({ env: { SMTP_URL: inbox.url, AUTH_RATE_LIMIT_MAX: '10000', MAIL_RECIPIENT_LIMIT: String(LIMIT) } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await inbox?.close();
  });

  it('share one limit: requests through both send LIMIT mails in all', async () => {
    const user = await createUser(a);
    const after = inbox.messages.length;
    // Each instance runs the jobs it queues at once, so both count mails to this inbox.
    for (let i = 0; i < LIMIT; i++) {
      expect((await postJson(a, '/auth/password/forgot', { email: user.email })).status).toBe(202);
      expect((await postJson(b, '/auth/password/forgot', { email: user.email })).status).toBe(202);
    }
    await jobsSettled(a);
    expect(mailsTo(inbox, user.email, after)).toHaveLength(LIMIT);
  });
});
