import { randomBytes } from 'node:crypto';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { linksIn, startSmtpInbox, tokenFromLink, type SmtpInbox, type ReceivedMail } from '@backlot/testing/smtp-inbox';
import { createUser, login, PASSWORD, postJson, sessionFor, signedInUser, uniqueEmail } from '@backlot/testing/auth';

const APP_URL = 'https://app.backlot.test';
const NEW_PASSWORD = 'a brand new passphrase 42';

/** The one link of a mail, checked to lead to `page` of the app. */
function linkTo(mail: ReceivedMail, page: string): string {
  const links = linksIn(mail.text);
  expect(links).toHaveLength(1);
  expect(links[0].startsWith(`${APP_URL}${page}?token=`)).toBe(true);
  return links[0];
}

describe('account mail: sign-up, verification, password reset and email change', () => {
  let t: TestApp;
  let inbox: SmtpInbox;

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    t = await startTestApp({ env: { SMTP_URL: inbox.url, APP_URL, AUTH_RATE_LIMIT_MAX: '10000' } });
  });
  afterAll(async () => {
    await t?.close();
    await inbox?.close();
  });

  function register(email: string, password = PASSWORD): Promise<Response> {
    return postJson(t, '/auth/register', { email, password });
  }

  async function verificationToken(email: string, after: number): Promise<string> {
    return tokenFromLink(linkTo(await inbox.waitForMail(email, { subject: /^Confirm your email address$/, after }), '/verify-email'));
  }

  /**
   * Mail goes out in the background, so "no mail" is checked behind a barrier: a later request
   * whose mail must arrive, after which nothing sent earlier is still on its way.
   */
  async function expectNoMailTo(address: string, after: number, barrier: () => Promise<string>): Promise<void> {
    const barrierAddress = await barrier();
    await inbox.waitForMail(barrierAddress, { after });
    expect(inbox.messages.slice(after).filter((mail) => mail.to.includes(address))).toEqual([]);
  }

  describe('registration and verification', () => {
    it('answers alike for a new and an already-registered address, and mails the owner of the existing one', async () => {
      const after = inbox.messages.length;
      const fresh = await register(uniqueEmail('fresh'));
      const owner = await createUser(t);
      const taken = await register(owner.email, 'someone else’s password');

      expect(taken.status).toBe(202);
      expect(taken.status).toBe(fresh.status);
      expect(await json(taken)).toEqual(await json(fresh));

      const notice = await inbox.waitForMail(owner.email, { subject: /^Someone tried to sign up/, after });
      linkTo(notice, '/reset-password');
      expect(inbox.messages.slice(after).filter((mail) => mail.to.includes(owner.email))).toHaveLength(1);

      // The account is unchanged: the owner's password still works, the intruder's does not.
      expect((await postJson(t, '/auth/login', { email: owner.email, password: owner.password })).status).toBe(200);
      expect((await postJson(t, '/auth/login', { email: owner.email, password: 'someone else’s password' })).status).toBe(401);
    });

    it('treats an address registered in other capitals as taken', async () => {
      const owner = await createUser(t);
      const after = inbox.messages.length;
      expect((await register(owner.email.toUpperCase())).status).toBe(202);
      await inbox.waitForMail(owner.email, { subject: /^Someone tried to sign up/, after });
    });

    it('refuses to sign in before the address is verified (403), and signs in after', async () => {
      const email = uniqueEmail();
      const after = inbox.messages.length;
      expect((await register(email)).status).toBe(202);
      const token = await verificationToken(email, after);

      const early = await postJson(t, '/auth/login', { email, password: PASSWORD });
      expect(early.status).toBe(403);
      expect(early.headers.get('content-type')).toContain('application/problem+json');

      expect((await postJson(t, '/auth/verify-email', { token })).status).toBe(204);
      const tokens = await login(t, email, PASSWORD);
      const me = await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${tokens.accessToken}` } });
      expect(await json(me)).toMatchObject({ email, emailVerified: true });
    });

    it('a verification token works once: the second use is 400', async () => {
      const email = uniqueEmail();
      const after = inbox.messages.length;
      await register(email);
      const token = await verificationToken(email, after);
      expect((await postJson(t, '/auth/verify-email', { token })).status).toBe(204);

      const again = await postJson(t, '/auth/verify-email', { token });
      expect(again.status).toBe(400);
      expect(again.headers.get('content-type')).toContain('application/problem+json');
    });

    it('refuses a forged verification token with 400', async () => {
      const response = await postJson(t, '/auth/verify-email', { token: randomBytes(32).toString('base64url') });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });

    it('refuses a malformed verification token with 400 and a field error', async () => {
      const response = await postJson(t, '/auth/verify-email', { token: 'not/a token' });
      expect(response.status).toBe(400);
      expect(await json(response)).toMatchObject({
        status: 400,
        errors: [expect.objectContaining({ path: 'token', message: expect.any(String) })],
      });
    });

    it('resend mails a new working link, and the unused old one stops working', async () => {
      const email = uniqueEmail();
      const first = inbox.messages.length;
      await register(email);
      const oldToken = await verificationToken(email, first);

      const second = inbox.messages.length;
      const resent = await postJson(t, '/auth/verify-email/resend', { email });
      expect(resent.status).toBe(202);
      const newToken = await verificationToken(email, second);
      expect(newToken).not.toBe(oldToken);

      expect((await postJson(t, '/auth/verify-email', { token: oldToken })).status).toBe(400);
      expect((await postJson(t, '/auth/verify-email', { token: newToken })).status).toBe(204);
      expect((await login(t, email, PASSWORD)).accessToken).toEqual(expect.any(String));
    });

    it('resend answers alike for unknown and already-verified addresses and mails neither', async () => {
      const verified = await createUser(t);
      const unknown = uniqueEmail('nobody');
      const after = inbox.messages.length;
      const forUnknown = await postJson(t, '/auth/verify-email/resend', { email: unknown });
      const forVerified = await postJson(t, '/auth/verify-email/resend', { email: verified.email });
      expect([forUnknown.status, forVerified.status]).toEqual([202, 202]);
      expect(await json(forUnknown)).toEqual(await json(forVerified));

      await expectNoMailTo(unknown, after, async () => {
        const pending = uniqueEmail('barrier');
        await register(pending);
        return pending;
      });
      expect(inbox.messages.slice(after).filter((mail) => mail.to.includes(verified.email))).toEqual([]);
    });
  });

  describe('password reset', () => {
    it('forgot-password answers 202 for an unknown address and sends nothing', async () => {
      const known = await createUser(t);
      const unknown = uniqueEmail('nobody');
      const after = inbox.messages.length;
      const forUnknown = await postJson(t, '/auth/password/forgot', { email: unknown });
      expect(forUnknown.status).toBe(202);

      await expectNoMailTo(unknown, after, async () => {
        const forKnown = await postJson(t, '/auth/password/forgot', { email: known.email });
        expect(forKnown.status).toBe(202);
        expect(await json(forKnown)).toEqual(await json(forUnknown));
        return known.email;
      });
    });

    it('the mailed link sets a new password, ends every session, and works only once', async () => {
      const user = await signedInUser(t);
      const other = sessionFor(t, user, await login(t, user.email, user.password));

      const after = inbox.messages.length;
      expect((await postJson(t, '/auth/password/forgot', { email: user.email })).status).toBe(202);
      const mail = await inbox.waitForMail(user.email, { subject: /^Reset your password$/, after });
      const token = tokenFromLink(linkTo(mail, '/reset-password'));

      expect((await postJson(t, '/auth/password/reset', { token, password: NEW_PASSWORD })).status).toBe(204);

      expect((await user.request('/users/me')).status).toBe(401);
      expect((await other.request('/users/me')).status).toBe(401);
      expect((await postJson(t, '/auth/refresh', { refreshToken: user.refreshToken })).status).toBe(401);
      expect((await postJson(t, '/auth/login', { email: user.email, password: user.password })).status).toBe(401);
      expect((await postJson(t, '/auth/login', { email: user.email, password: NEW_PASSWORD })).status).toBe(200);

      const again = await postJson(t, '/auth/password/reset', { token, password: 'yet another passphrase 7' });
      expect(again.status).toBe(400);
      expect(again.headers.get('content-type')).toContain('application/problem+json');
      expect((await postJson(t, '/auth/login', { email: user.email, password: NEW_PASSWORD })).status).toBe(200);
    });

    it('a password reset also cancels an email change asked for with the old password', async () => {
      // Someone who knew the old password asks to move the account to an address they read…
      const user = await signedInUser(t);
      const intruderEmail = uniqueEmail('intruder');
      const asked = inbox.messages.length;
      expect((await user.json('POST', '/users/me/email', { newEmail: intruderEmail, password: user.password })).status).toBe(202);
      const mail = await inbox.waitForMail(intruderEmail, { subject: /^Confirm your new email address$/, after: asked });
      const changeToken = tokenFromLink(linkTo(mail, '/confirm-email-change'));

      // …then the owner resets the password, which is meant to put whoever had the old one out.
      const after = inbox.messages.length;
      await postJson(t, '/auth/password/forgot', { email: user.email });
      const reset = await inbox.waitForMail(user.email, { subject: /^Reset your password$/, after });
      expect(
        (await postJson(t, '/auth/password/reset', { token: tokenFromLink(linkTo(reset, '/reset-password')), password: NEW_PASSWORD }))
          .status,
      ).toBe(204);

      // Known bug: RegistrationService.resetPassword leaves pending change_email tokens alive (204 here), so the
      // intruder still moves the account to their address and can then reset the password themselves.
      expect((await postJson(t, '/users/email-change/confirm', { token: changeToken })).status).toBe(400);
      expect((await login(t, user.email, NEW_PASSWORD)).accessToken).toEqual(expect.any(String));
    });

    it('refuses a forged reset token (400) and a new password that breaks the policy (400 with errors[])', async () => {
      const forged = await postJson(t, '/auth/password/reset', { token: randomBytes(32).toString('base64url'), password: NEW_PASSWORD });
      expect(forged.status).toBe(400);

      const weak = await postJson(t, '/auth/password/reset', { token: randomBytes(32).toString('base64url'), password: 'short' });
      expect(weak.status).toBe(400);
      expect(await json(weak)).toMatchObject({ errors: [expect.objectContaining({ path: 'password' })] });
    });

    it('only the newest reset link works', async () => {
      const user = await createUser(t);
      const first = inbox.messages.length;
      await postJson(t, '/auth/password/forgot', { email: user.email });
      const oldToken = tokenFromLink(
        linkTo(await inbox.waitForMail(user.email, { subject: /^Reset your password$/, after: first }), '/reset-password'),
      );
      const second = inbox.messages.length;
      await postJson(t, '/auth/password/forgot', { email: user.email });
      const newToken = tokenFromLink(
        linkTo(await inbox.waitForMail(user.email, { subject: /^Reset your password$/, after: second }), '/reset-password'),
      );

      expect((await postJson(t, '/auth/password/reset', { token: oldToken, password: NEW_PASSWORD })).status).toBe(400);
      expect((await postJson(t, '/auth/password/reset', { token: newToken, password: NEW_PASSWORD })).status).toBe(204);
    });
  });

  describe('email change', () => {
    it('confirming the link mailed to the new address moves the account there and tells the old address', async () => {
      const user = await signedInUser(t);
      const newEmail = uniqueEmail('moved');
      const after = inbox.messages.length;

      const requested = await user.json('POST', '/users/me/email', { newEmail, password: user.password });
      expect(requested.status).toBe(202);
      const mail = await inbox.waitForMail(newEmail, { subject: /^Confirm your new email address$/, after });
      const token = tokenFromLink(linkTo(mail, '/confirm-email-change'));
      // Nothing changes until the link is followed.
      expect(await json(await user.request('/users/me'))).toMatchObject({ email: user.email });

      expect((await postJson(t, '/users/email-change/confirm', { token })).status).toBe(204);

      const notice = await inbox.waitForMail(user.email, { subject: /^Your email address was changed$/, after });
      expect(notice.text).toContain(newEmail);
      expect(await json(await user.request('/users/me'))).toMatchObject({ email: newEmail, emailVerified: true });
      expect((await postJson(t, '/auth/login', { email: newEmail, password: user.password })).status).toBe(200);
      expect((await postJson(t, '/auth/login', { email: user.email, password: user.password })).status).toBe(401);

      const again = await postJson(t, '/users/email-change/confirm', { token });
      expect(again.status).toBe(400);
    });

    it('answers 202 for an address that is taken, and mails nothing', async () => {
      const user = await signedInUser(t);
      const other = await createUser(t);
      const after = inbox.messages.length;

      const taken = await user.json('POST', '/users/me/email', { newEmail: other.email, password: user.password });
      expect(taken.status).toBe(202);

      await expectNoMailTo(other.email, after, async () => {
        const free = uniqueEmail('free');
        const response = await user.json('POST', '/users/me/email', { newEmail: free, password: user.password });
        expect(response.status).toBe(202);
        expect(await json(response)).toEqual(await json(taken));
        return free;
      });
      expect(inbox.messages.slice(after).filter((mail) => mail.to.includes(user.email))).toEqual([]);
      expect(await json(await user.request('/users/me'))).toMatchObject({ email: user.email });
    });

    it('refuses a wrong password (400) and sends nothing', async () => {
      const user = await signedInUser(t);
      const newEmail = uniqueEmail('wrong-password');
      const after = inbox.messages.length;
      const response = await user.json('POST', '/users/me/email', { newEmail, password: 'not the password' });
      expect(response.status).toBe(400);
      await expectNoMailTo(newEmail, after, async () => {
        const free = uniqueEmail('free');
        await user.json('POST', '/users/me/email', { newEmail: free, password: user.password });
        return free;
      });
    });

    it('refuses a forged confirmation token (400) and needs a signed-in user to ask (401)', async () => {
      expect((await postJson(t, '/users/email-change/confirm', { token: randomBytes(32).toString('base64url') })).status).toBe(400);
      expect((await postJson(t, '/users/me/email', { newEmail: uniqueEmail(), password: PASSWORD })).status).toBe(401);
    });

    it('refuses the confirmation (400) when another account took the address meanwhile', async () => {
      const user = await signedInUser(t);
      const newEmail = uniqueEmail('contested');
      const after = inbox.messages.length;
      await user.json('POST', '/users/me/email', { newEmail, password: user.password });
      const token = tokenFromLink(
        linkTo(await inbox.waitForMail(newEmail, { subject: /^Confirm your new email address$/, after }), '/confirm-email-change'),
      );
      await createUser(t, { email: newEmail });

      expect((await postJson(t, '/users/email-change/confirm', { token })).status).toBe(400);
      expect(await json(await user.request('/users/me'))).toMatchObject({ email: user.email });
    });
  });
});

describe('sign-up without email verification (AUTH_REQUIRE_EMAIL_VERIFICATION=false)', () => {
  let t: TestApp;

  // No job worker: an account made by a queued job would never exist here.
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_REQUIRE_EMAIL_VERIFICATION: 'false', JOBS_WORKER: 'false', AUTH_RATE_LIMIT_MAX: '10000' } });
  });
  afterAll(() => t?.close());

  it('creates the account before it answers, so the SPA can sign in at once', async () => {
    const email = uniqueEmail('instant');
    expect((await postJson(t, '/auth/register', { email, password: PASSWORD })).status).toBe(202);
    expect((await postJson(t, '/auth/login', { email, password: PASSWORD })).status).toBe(200);
  });

  it('still answers a taken address alike, and its owner keeps their password', async () => {
    const owner = await createUser(t);
    expect((await postJson(t, '/auth/register', { email: owner.email, password: 'another passphrase 77' })).status).toBe(202);
    expect((await postJson(t, '/auth/login', { email: owner.email, password: 'another passphrase 77' })).status).toBe(401);
    expect((await postJson(t, '/auth/login', { email: owner.email, password: owner.password })).status).toBe(200);
  });
});
