import { base32Decode, base32Encode, generateTotpSecret, otpauthUri, totpCode, type TotpAlgorithm, verifyTotp } from './totp';

const seed = (ascii: string): string => base32Encode(Buffer.from(ascii, 'ascii'));

// RFC 6238 Appendix B: the reference implementation's seed is the ASCII digits, sized per hash.
const SEEDS: Record<TotpAlgorithm, string> = {
  sha1: seed('12345678901234567890'),
  sha256: seed('12345678901234567890123456789012'),
  sha512: seed('1234567890123456789012345678901234567890123456789012345678901234'),
};

const SECRET = SEEDS.sha1;
const NOW = 1_700_000_000_000;
const STEP = Math.floor(NOW / 30_000);
const codeAt = (step: number) => totpCode(SECRET, step * 30_000);

describe('totpCode', () => {
  it.each([
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ])('matches the RFC 6238 test vectors at T=%i', (seconds, sha1, sha256, sha512) => {
    const at = (algorithm: TotpAlgorithm) => totpCode(SEEDS[algorithm], seconds * 1000, { digits: 8, algorithm });

    expect([at('sha1'), at('sha256'), at('sha512')]).toEqual([sha1, sha256, sha512]);
  });

  it('matches the RFC 4226 HOTP test vectors, one step per counter', () => {
    const codes = Array.from({ length: 10 }, (_, counter) => totpCode(SECRET, counter * 30_000));

    expect(codes).toEqual(['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489']);
  });

  it('keeps the code for the whole step and changes it on the next', () => {
    expect(totpCode(SECRET, STEP * 30_000)).toBe(totpCode(SECRET, STEP * 30_000 + 29_999));
    expect(totpCode(SECRET, STEP * 30_000)).not.toBe(totpCode(SECRET, (STEP + 1) * 30_000));
  });

  it('honours another step length', () => {
    expect(totpCode(SECRET, 60_000, { stepSeconds: 60 })).toBe(totpCode(SECRET, 30_000));
  });

  it.each([5, 11, 6.5])('refuses %p digits', (digits) => {
    expect(() => totpCode(SECRET, NOW, { digits })).toThrow(RangeError);
  });

  it('refuses an empty secret', () => {
    expect(() => totpCode('', NOW)).toThrow('TOTP secret is empty');
  });
});

describe('verifyTotp', () => {
  it('returns the step of a current code', () => {
    expect(verifyTotp(SECRET, codeAt(STEP), { timeMs: NOW })).toBe(STEP);
  });

  it('accepts the codes one step either side, for clock drift', () => {
    expect(verifyTotp(SECRET, codeAt(STEP - 1), { timeMs: NOW })).toBe(STEP - 1);
    expect(verifyTotp(SECRET, codeAt(STEP + 1), { timeMs: NOW })).toBe(STEP + 1);
  });

  it('refuses codes two steps away', () => {
    expect(verifyTotp(SECRET, codeAt(STEP - 2), { timeMs: NOW })).toBeNull();
    expect(verifyTotp(SECRET, codeAt(STEP + 2), { timeMs: NOW })).toBeNull();
  });

  it('accepts a wider window when asked', () => {
    expect(verifyTotp(SECRET, codeAt(STEP - 2), { timeMs: NOW, window: 2 })).toBe(STEP - 2);
  });

  it('refuses a code whose step was already used, and any earlier one', () => {
    const step = verifyTotp(SECRET, codeAt(STEP), { timeMs: NOW });

    expect(verifyTotp(SECRET, codeAt(STEP), { timeMs: NOW, afterStep: step ?? undefined })).toBeNull();
    expect(verifyTotp(SECRET, codeAt(STEP - 1), { timeMs: NOW, afterStep: STEP })).toBeNull();
    expect(verifyTotp(SECRET, codeAt(STEP + 1), { timeMs: NOW, afterStep: STEP })).toBe(STEP + 1);
  });

  it('refuses a wrong code', () => {
    const wrong = String((Number(codeAt(STEP)) + 1) % 1_000_000).padStart(6, '0');

    expect(verifyTotp(SECRET, wrong, { timeMs: NOW, window: 0 })).toBeNull();
  });

  it.each(['', '12345', '1234567', '12 345', ' 123456', '12345a', '١٢٣٤٥٦'])('refuses %p, which is not 6 digits', (code) => {
    expect(verifyTotp(SECRET, code, { timeMs: NOW })).toBeNull();
  });

  it('checks 8-digit codes with the matching algorithm', () => {
    const code = totpCode(SEEDS.sha256, NOW, { digits: 8, algorithm: 'sha256' });

    expect(verifyTotp(SEEDS.sha256, code, { timeMs: NOW, digits: 8, algorithm: 'sha256' })).toBe(STEP);
    expect(verifyTotp(SEEDS.sha256, code, { timeMs: NOW, digits: 8, algorithm: 'sha1' })).toBeNull();
    expect(verifyTotp(SEEDS.sha256, code, { timeMs: NOW, algorithm: 'sha256' })).toBeNull();
  });

  it('uses the current time by default', () => {
    expect(verifyTotp(SECRET, totpCode(SECRET, Date.now()))).not.toBeNull();
  });
});

describe('base32', () => {
  it.each([
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ])('encodes the RFC 4648 vector %p as %p without padding', (text, encoded) => {
    expect(base32Encode(Buffer.from(text))).toBe(encoded);
    expect(base32Decode(encoded).toString()).toBe(text);
  });

  it('decodes lower case, spaces and padding as people paste them', () => {
    expect(base32Decode('mzxw 6ytb oi======').toString()).toBe('foobar');
  });

  it.each(['MZXW1', 'MZXW8', 'MZ-XW', 'MZXW6!'])('refuses invalid characters (%p)', (text) => {
    expect(() => base32Decode(text)).toThrow('Invalid base32 character');
  });

  it('round-trips random bytes of every length', () => {
    for (let length = 0; length <= 64; length++) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 37 + length) & 0xff));

      expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    }
  });
});

describe('generateTotpSecret', () => {
  it('returns 20 random bytes in base32', () => {
    const secret = generateTotpSecret();

    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
    expect(generateTotpSecret()).not.toBe(secret);
  });
});

describe('otpauthUri', () => {
  it('builds the key URI authenticator apps expect', () => {
    expect(otpauthUri({ secret: 'JBSWY3DPEHPK3PXP', issuer: 'Backlot', account: 'ada@example.com' })).toBe(
      'otpauth://totp/Backlot:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Backlot&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('percent-encodes spaces, colons and reserved characters in the label and the query', () => {
    const uri = otpauthUri({ secret: 'JBSWY3DPEHPK3PXP', issuer: 'Acme & Co: Prod', account: 'ada lovelace+1@example.com' });

    expect(uri).toBe(
      'otpauth://totp/Acme%20%26%20Co%3A%20Prod:ada%20lovelace%2B1%40example.com' +
        '?secret=JBSWY3DPEHPK3PXP&issuer=Acme%20%26%20Co%3A%20Prod&algorithm=SHA1&digits=6&period=30',
    );
    const url = new URL(uri);
    expect(url.searchParams.get('issuer')).toBe('Acme & Co: Prod');
  });

  it('describes non-default parameters', () => {
    expect(otpauthUri({ secret: 'ABC', issuer: 'B', account: 'a', algorithm: 'sha256', digits: 8, stepSeconds: 60 })).toBe(
      'otpauth://totp/B:a?secret=ABC&issuer=B&algorithm=SHA256&digits=8&period=60',
    );
  });
});
