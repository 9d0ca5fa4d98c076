import { BadRequest } from '@backlot/http';
import { profileFields } from './provider-profile';
import { allowedRedirect, returnTo } from './redirect-allow-list';

describe('allowedRedirect', () => {
  const allowList = ['https://app.example.com/auth/done', 'http://localhost:5173/cb'];

  it('accepts an entry, with any query', () => {
    expect(allowedRedirect('https://app.example.com/auth/done?next=%2Fx', allowList).href).toBe(
      'https://app.example.com/auth/done?next=%2Fx',
    );
    expect(allowedRedirect('http://localhost:5173/cb', allowList).origin).toBe('http://localhost:5173');
  });

  it.each([
    ['another origin', 'https://evil.example/auth/done'],
    ['another scheme', 'http://app.example.com/auth/done'],
    ['another port', 'https://app.example.com:8443/auth/done'],
    ['another path', 'https://app.example.com/auth/done/../../x'],
    ['a longer path', 'https://app.example.com/auth/done/x'],
    ['credentials', 'https://attacker@app.example.com/auth/done'],
    ['a fragment', 'https://app.example.com/auth/done#code'],
    ['a look-alike host', 'https://app.example.com.evil.example/auth/done'],
    ['a relative URL', '/auth/done'],
    ['a protocol-relative URL', '//evil.example/auth/done'],
    ['javascript:', 'javascript:alert(1)'],
    ['nothing', ''],
  ])('refuses %s', (_, redirect) => {
    expect(() => allowedRedirect(redirect, allowList)).toThrow(BadRequest);
  });

  it('refuses everything when the allow-list is empty', () => {
    expect(() => allowedRedirect('https://app.example.com/auth/done', [])).toThrow(BadRequest);
  });

  it('puts the outcome in the query, keeping what the page had', () => {
    expect(returnTo('https://app.example.com/auth/done?next=%2Fx', { code: 'abc' })).toBe(
      'https://app.example.com/auth/done?next=%2Fx&code=abc',
    );
  });
});

describe('profileFields', () => {
  it('keeps a valid address (normalised), a trimmed name and an http(s) picture', () => {
    expect(
      profileFields({ subject: '1', email: 'Ada@Example.COM', emailVerified: true, name: '  Ada  ', picture: 'https://x.example/a.png' }),
    ).toEqual({ email: 'ada@example.com', profile: { displayName: 'Ada', avatarUrl: 'https://x.example/a.png' } });
  });

  it('drops what the users table cannot hold or should not: a non-address, a javascript: picture, an empty name; cuts a long name', () => {
    const fields = profileFields({
      subject: '1',
      email: 'not an address',
      emailVerified: true,
      name: 'x'.repeat(300),
      picture: 'javascript:alert(1)',
    });
    expect(fields.email).toBeUndefined();
    expect(fields.profile).toEqual({ displayName: 'x'.repeat(100) });
    expect(profileFields({ subject: '1', emailVerified: false, name: '   ' }).profile).toEqual({});
    expect(profileFields({ subject: '1', emailVerified: false, name: 'A\u0000da\uD800' }).profile).toEqual({ displayName: 'Ada\uFFFD' });
  });
});
