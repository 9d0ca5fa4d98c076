import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { type AppConfig, ConfigModule, loadConfig } from '@backlot/config';
import { MailDeliveryError, MailModule, MailService } from '@backlot/mail';
import { linksIn, type SmtpInbox, startSmtpInbox, tokenFromLink } from '@backlot/testing/smtp-inbox';

function mailConfig(env: Record<string, string>): AppConfig {
  // Explicit secrets: outside tests, loadConfig would otherwise generate and store some in DATA_DIR.
  const secrets = { JWT_SECRET: randomBytes(48).toString('base64url'), ENCRYPTION_KEY: randomBytes(32).toString('base64') };
  return loadConfig({ NODE_ENV: 'test', DATA_DIR: '/nonexistent', MAIL_FROM: 'Backlot <no-reply@backlot.test>', ...secrets, ...env });
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Everything the service wrote through Nest's Logger, one string per call. */
function captureLogs() {
  const spies = (['log', 'warn', 'error', 'debug', 'verbose'] as const).map((level) =>
    jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined),
  );
  return {
    all: () => spies.flatMap((spy) => spy.mock.calls.map((args) => args.map(String).join(' '))),
    of: (level: 'log' | 'warn') => spies[level === 'log' ? 0 : 1].mock.calls.map((args) => String(args[0])),
  };
}

describe('MailService', () => {
  afterEach(() => jest.restoreAllMocks());

  describe('with SMTP_URL', () => {
    let inbox: SmtpInbox;
    let mail: MailService;

    beforeAll(async () => {
      inbox = await startSmtpInbox();
      mail = new MailService(mailConfig({ SMTP_URL: inbox.url }));
    });
    afterAll(async () => {
      mail?.onApplicationShutdown();
      await inbox?.close();
    });

    it('delivers subject and body intact, with long links and non-ASCII text', async () => {
      const token = `${randomBytes(48).toString('base64')}==`;
      const link = `https://app.example.com/account/reset-password?token=${encodeURIComponent(token)}&email=ana%40example.com&next=/settings&lang=fr`;
      const text = `Bonjour Ana, réinitialisez votre mot de passe : ${link}\n\nCe lien expire dans 1 heure. — L'équipe ✓`;
      await mail.send({ to: 'ana@example.com', subject: 'Réinitialisation du mot de passe — Backlot ✓', text });

      const received = await inbox.waitForMail('ana@example.com');
      expect(received.raw).toMatch(/Content-Transfer-Encoding: quoted-printable/i);
      expect(received.raw).toMatch(/=\r\n/);
      expect(received.subject).toBe('Réinitialisation du mot de passe — Backlot ✓');
      expect(received.from).toBe('no-reply@backlot.test');
      expect(received.text).toBe(text);
      expect(linksIn(received.text)).toEqual([link]);
      expect(tokenFromLink(linksIn(received.text)[0])).toBe(token);
    });

    it('sends the html alternative alongside the text', async () => {
      const after = inbox.messages.length;
      await mail.send({ to: 'bo@example.com', subject: 'Welcome', text: 'Hello Bo', html: '<p>Hello <b>Bo</b> — ça va ?</p>' });

      const received = await inbox.waitForMail('bo@example.com', { subject: /^Welcome$/, after });
      expect(received.raw).toMatch(/multipart\/alternative/i);
      expect(received.text).toBe('Hello Bo');
      expect(received.html).toBe('<p>Hello <b>Bo</b> — ça va ?</p>');
    });

    it('rejects with MailDeliveryError naming only the recipient domain when the server refuses', async () => {
      inbox.failNext(1);
      const failure = mail.send({ to: 'carol@example.org', subject: 'Refused', text: 'secret-token-123' });

      await expect(failure).rejects.toBeInstanceOf(MailDeliveryError);
      await expect(failure).rejects.toMatchObject({ responseCode: 451, message: expect.stringContaining('@example.org') });
      await expect(failure).rejects.not.toMatchObject({ message: expect.stringContaining('carol') });

      await mail.send({ to: 'carol@example.org', subject: 'Accepted', text: 'second try' });
      await expect(inbox.waitForMail('carol@example.org')).resolves.toMatchObject({ subject: 'Accepted' });
    });

    it('works from the Nest container and closes with the application', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [ConfigModule.forRoot(mailConfig({ SMTP_URL: inbox.url })), MailModule],
      }).compile();
      const service = moduleRef.get(MailService);
      const shutdown = jest.spyOn(service, 'onApplicationShutdown');

      await service.send({ to: 'dee@example.com', subject: 'From the container', text: 'Hi' });
      await expect(inbox.waitForMail('dee@example.com')).resolves.toMatchObject({ subject: 'From the container' });
      await moduleRef.close();
      expect(shutdown).toHaveBeenCalled();
    });
  });

  it('fails fast with MailDeliveryError when the SMTP server is unreachable, without leaking credentials', async () => {
    const logs = captureLogs();
    const mail = new MailService(mailConfig({ SMTP_URL: `smtp://mailer:s3cret-pass@127.0.0.1:${await closedPort()}` }));
    const started = Date.now();
    try {
      const failure = mail.send({ to: 'eve@example.net', subject: 'Unreachable', text: 'body' });
      await expect(failure).rejects.toBeInstanceOf(MailDeliveryError);
      await expect(failure).rejects.toMatchObject({ message: expect.stringContaining('@example.net') });
      await expect(failure).rejects.not.toMatchObject({ message: expect.stringMatching(/s3cret|mailer/) });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(logs.all().join('\n')).not.toMatch(/s3cret/);
    } finally {
      mail.onApplicationShutdown();
    }
  });

  it('writes the whole message to the log in development when SMTP_URL is not set', async () => {
    const logs = captureLogs();
    const mail = new MailService(mailConfig({ NODE_ENV: 'development' }));
    const link = 'https://app.example.com/verify?token=abc123&user=42';

    await mail.send({ to: 'fay@example.com', subject: 'Verify your email', text: `Open ${link}` });

    expect(logs.of('warn')).toEqual([]);
    expect(logs.of('log')).toHaveLength(1);
    const [entry] = logs.of('log');
    expect(entry).toMatch(/not sent/i);
    expect(entry).toContain('fay@example.com');
    expect(entry).toContain('Verify your email');
    expect(linksIn(entry)).toEqual([link]);
  });

  it('drops mail in production without SMTP_URL and logs neither body nor address', async () => {
    const logs = captureLogs();
    const mail = new MailService(mailConfig({ NODE_ENV: 'production', METRICS_ENABLED: 'false' }));
    expect(logs.of('warn')).toEqual(['SMTP_URL is not set; outgoing mail is dropped']);

    await mail.send({ to: 'gus@example.com', subject: 'Reset your password', text: 'https://app.example.com/reset?token=t0k3n' });
    await mail.send({ to: 'gus@example.com', subject: 'Reset your password', text: 'https://app.example.com/reset?token=t0k3n' });

    expect(logs.of('warn')).toHaveLength(3);
    expect(logs.of('warn')[1]).toContain('Reset your password');
    expect(logs.of('warn')[1]).toContain('@example.com');
    expect(logs.all().join('\n')).not.toMatch(/t0k3n|gus@/);
    expect(logs.of('log')).toEqual([]);
  });
});
