import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemsOf, STRONG_ENCRYPTION_KEY, STRONG_JWT_SECRET } from '@backlot/testing/config-problems';
import { loadConfig } from './load-config';

describe('auth secrets (loadConfig)', () => {
  describe('in production', () => {
    // Metrics off: production also wants them protected, which is not what these tests are about.
    const production = { NODE_ENV: 'production', METRICS_ENABLED: 'false' };

    it('refuses to start without JWT_SECRET and ENCRYPTION_KEY', () => {
      expect(problemsOf(production)).toEqual(['JWT_SECRET: is required in production', 'ENCRYPTION_KEY: is required in production']);
    });

    it('refuses a well-known JWT_SECRET even when it is long enough', () => {
      const problems = problemsOf({
        ...production,
        JWT_SECRET: 'changeme-changeme-changeme-changeme',
        ENCRYPTION_KEY: STRONG_ENCRYPTION_KEY,
      });

      expect(problems).toEqual([
        'JWT_SECRET: is a default or guessable value (contains the well-known word "changeme"); ' +
          'use 32 or more random bytes, e.g. `openssl rand -base64 48`. Refusing to start in production',
      ]);
    });

    it('refuses a JWT_SECRET of 32 hex characters (16 bytes), saying why and how to make one', () => {
      const problems = problemsOf({ ...production, JWT_SECRET: '0123456789abcdef0123456789abcdef', ENCRYPTION_KEY: STRONG_ENCRYPTION_KEY });

      expect(problems).toEqual([
        'JWT_SECRET: is a default or guessable value (carries at most ~128 bits of randomness for its length and alphabet ' +
          '(at least 256: 64 hex or 43 base64 characters)); use 32 or more random bytes, e.g. `openssl rand -base64 48`. ' +
          'Refusing to start in production',
      ]);
    });

    it.each([
      ['a 64-character run', '0123456789abcdef'.repeat(4)],
      ['a repeated block', 'Xq7!pL2#vB9$'.repeat(4)],
      ['48 random hex characters (24 bytes)', randomBytes(24).toString('hex')],
    ])('refuses a JWT_SECRET that is %s', (_, secret) => {
      const problems = problemsOf({ ...production, JWT_SECRET: secret, ENCRYPTION_KEY: STRONG_ENCRYPTION_KEY });

      expect(problems).toEqual([expect.stringMatching(/^JWT_SECRET: is a default or guessable value \(/)]);
    });

    it('refuses a guessable entry of JWT_PREVIOUS_SECRETS: tokens it signed would still be accepted', () => {
      const problems = problemsOf({
        ...production,
        JWT_SECRET: STRONG_JWT_SECRET,
        JWT_PREVIOUS_SECRETS: `${randomBytes(48).toString('base64')},${'0123456789abcdef'.repeat(2)}`,
        ENCRYPTION_KEY: STRONG_ENCRYPTION_KEY,
      });

      expect(problems).toEqual([
        expect.stringMatching(/^JWT_PREVIOUS_SECRETS: is a default or guessable value \(entry 2 carries at most ~128 bits/),
      ]);
    });

    it('refuses an ENCRYPTION_KEY that is base64 of text rather than of random bytes', () => {
      const key = Buffer.from('my-very-own-key-for-backlot-0001').toString('base64');
      const problems = problemsOf({ ...production, JWT_SECRET: STRONG_JWT_SECRET, ENCRYPTION_KEY: key });

      expect(problems).toEqual([
        'ENCRYPTION_KEY: is a default or guessable value (is base64 of text, not of random bytes); use `openssl rand -base64 32`. ' +
          'Refusing to start in production',
      ]);
    });

    it('refuses a long JWT_SECRET made of fewer than 8 distinct characters', () => {
      const problems = problemsOf({
        ...production,
        JWT_SECRET: 'abcabcabcabcabcabcabcabcabcabcabcabc',
        ENCRYPTION_KEY: STRONG_ENCRYPTION_KEY,
      });

      expect(problems).toEqual([expect.stringMatching(/^JWT_SECRET: is a default or guessable value/)]);
    });

    it('rejects a JWT_SECRET shorter than 32 characters', () => {
      const problems = problemsOf({ ...production, JWT_SECRET: 'Xq7!pL2#vB9$', ENCRYPTION_KEY: STRONG_ENCRYPTION_KEY });

      expect(problems).toEqual(['JWT_SECRET: must be at least 32 characters']);
    });

    it.each([
      ['16 bytes', randomBytes(16).toString('base64')],
      ['64 hex characters', randomBytes(32).toString('hex')],
      ['plain text', 'this is definitely not a base64 encoded key!!'],
    ])('rejects an ENCRYPTION_KEY that is %s instead of 32 base64 bytes', (_, key) => {
      const problems = problemsOf({ ...production, JWT_SECRET: STRONG_JWT_SECRET, ENCRYPTION_KEY: key });

      expect(problems).toEqual([expect.stringMatching(/^ENCRYPTION_KEY: must be 32 random bytes, base64-encoded/)]);
    });

    it('accepts a strong pair and reports the environment as their source', () => {
      const config = loadConfig({ ...production, JWT_SECRET: STRONG_JWT_SECRET, ENCRYPTION_KEY: STRONG_ENCRYPTION_KEY });

      expect(config.auth).toMatchObject({ jwtSecret: STRONG_JWT_SECRET, encryptionKey: STRONG_ENCRYPTION_KEY, source: 'environment' });
    });
  });

  describe('in development', () => {
    let dataDir: string;

    beforeEach(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'backlot-config-'));
    });

    afterEach(() => {
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('generates secrets once, persists them with mode 0600 and returns the same values on the next load', () => {
      const first = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir }).auth;
      const file = join(dataDir, 'secrets.json');

      expect(first.source).toBe('generated-file');
      expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
      expect(Buffer.from(first.encryptionKey, 'base64')).toHaveLength(32);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ jwtSecret: first.jwtSecret, encryptionKey: first.encryptionKey });

      const second = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir }).auth;
      expect(second).toEqual(first);
    });

    it('creates a DATA_DIR that does not exist yet', () => {
      const nested = join(dataDir, 'not', 'yet');

      loadConfig({ NODE_ENV: 'development', DATA_DIR: nested });

      expect(existsSync(join(nested, 'secrets.json'))).toBe(true);
    });

    it('refuses to start, rather than silently replace them, when the stored secrets are incomplete', () => {
      writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify({ jwtSecret: 'only-half' }));

      expect(problemsOf({ NODE_ENV: 'development', DATA_DIR: dataDir })).toEqual([
        expect.stringMatching(/^DATA_DIR: .*secrets\.json is unreadable or incomplete/),
      ]);
      expect(JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'))).toEqual({ jwtSecret: 'only-half' });
    });

    it('refuses to start when the stored secrets file is not JSON', () => {
      writeFileSync(join(dataDir, 'secrets.json'), '{ not json');

      expect(problemsOf({ NODE_ENV: 'development', DATA_DIR: dataDir })).toEqual([
        expect.stringMatching(/secrets\.json is unreadable or incomplete/),
      ]);
    });

    it('rejects an ENCRYPTION_KEY padded with characters base64 does not know', () => {
      const key = randomBytes(32).toString('base64');
      expect(
        problemsOf({ NODE_ENV: 'development', DATA_DIR: dataDir, JWT_SECRET: STRONG_JWT_SECRET, ENCRYPTION_KEY: `!!!!${key}` }),
      ).toHaveLength(1);
      expect(
        problemsOf({ NODE_ENV: 'development', DATA_DIR: dataDir, JWT_SECRET: STRONG_JWT_SECRET, ENCRYPTION_KEY: `${'a'.repeat(43)}=` }),
      ).toHaveLength(1);
    });

    it('starts with a guessable JWT_SECRET set by hand, warning that production would refuse it', () => {
      const config = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, JWT_SECRET: '0123456789abcdef0123456789abcdef' });

      expect(config.auth.jwtSecret).toBe('0123456789abcdef0123456789abcdef');
      expect(config.warnings).toEqual([
        expect.stringMatching(/^JWT_SECRET: is a default or guessable value \(.*\. Production would refuse it$/),
      ]);
    });

    it('has nothing to warn about with the secrets it generates', () => {
      expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir }).warnings).toEqual([]);
    });

    it('prefers a JWT_SECRET from the environment over the generated one', () => {
      const { auth } = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, JWT_SECRET: STRONG_JWT_SECRET });

      expect(auth.jwtSecret).toBe(STRONG_JWT_SECRET);
      expect(auth.encryptionKey).toBe(JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).encryptionKey);
    });

    it('writes nothing when both secrets come from the environment', () => {
      const { auth } = loadConfig({
        NODE_ENV: 'development',
        DATA_DIR: dataDir,
        JWT_SECRET: STRONG_JWT_SECRET,
        ENCRYPTION_KEY: STRONG_ENCRYPTION_KEY,
      });

      expect(auth.source).toBe('environment');
      expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false);
    });
  });

  describe('in tests', () => {
    it('uses throw-away secrets and writes nothing to DATA_DIR', () => {
      const dataDir = join(tmpdir(), `backlot-never-created-${process.pid}-${Date.now()}`);

      try {
        const first = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir }).auth;
        const second = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir }).auth;

        expect(first.source).toBe('ephemeral');
        expect(Buffer.from(first.encryptionKey, 'base64')).toHaveLength(32);
        expect(second.jwtSecret).not.toBe(first.jwtSecret);
        expect(existsSync(dataDir)).toBe(false);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
