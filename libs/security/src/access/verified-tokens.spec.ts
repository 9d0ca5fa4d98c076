import { VerifiedTokens } from './verified-tokens';

const NOW = Date.UTC(2026, 11, 7, 8, 0, 0);
const claims = (exp: number | undefined, extra: Record<string, unknown> = {}) => ({ sub: 'u1', sid: 's1', exp, ...extra });

describe('VerifiedTokens', () => {
  it('answers a header it was given, with its claims, and nothing for any other string', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('Bearer a.b.c', claims(NOW / 1000 + 900));
    expect(tokens.lookup('Bearer a.b.c', NOW)).toEqual({ sub: 'u1', sid: 's1', exp: NOW / 1000 + 900 });
    expect(tokens.lookup('Bearer a.b.C', NOW)).toBeUndefined();
    expect(tokens.lookup('bearer a.b.c', NOW)).toBeUndefined();
  });

  it('stops answering when the token expires, as jsonwebtoken would (exp + 5 s tolerance, whole seconds)', () => {
    const tokens = new VerifiedTokens();
    const exp = NOW / 1000 + 60;
    tokens.remember('Bearer t', claims(exp));
    expect(tokens.lookup('Bearer t', (exp + 4) * 1000 + 999)).toBeDefined();
    expect(tokens.lookup('Bearer t', (exp + 5) * 1000)).toBeUndefined();
    // Forgotten once expired: it is not answered again even with an earlier clock.
    expect(tokens.lookup('Bearer t', NOW)).toBeUndefined();
  });

  it('keeps no token without an expiry or with a not-before', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('Bearer no-exp', claims(undefined));
    tokens.remember('Bearer string-exp', claims('9999999999' as unknown as number));
    tokens.remember('Bearer nbf', claims(NOW / 1000 + 900, { nbf: NOW / 1000 }));
    for (const header of ['Bearer no-exp', 'Bearer string-exp', 'Bearer nbf']) expect(tokens.lookup(header, NOW)).toBeUndefined();
  });

  it('keeps no header longer than a token of ours needs (what follows the token is not verified)', () => {
    const tokens = new VerifiedTokens();
    const long = `Bearer a.b.c ${'x'.repeat(1_024)}`;
    tokens.remember(long, claims(NOW / 1000 + 900));
    expect(tokens.lookup(long, NOW)).toBeUndefined();
  });

  it('holds at most its bound, dropping the least recently used', () => {
    const tokens = new VerifiedTokens(2);
    const exp = NOW / 1000 + 900;
    tokens.remember('Bearer 1', claims(exp));
    tokens.remember('Bearer 2', claims(exp));
    expect(tokens.lookup('Bearer 1', NOW)).toBeDefined(); // 2 is now the least recently used
    tokens.remember('Bearer 3', claims(exp));
    expect(tokens.lookup('Bearer 2', NOW)).toBeUndefined();
    expect(tokens.lookup('Bearer 1', NOW)).toBeDefined();
    expect(tokens.lookup('Bearer 3', NOW)).toBeDefined();
  });
});
