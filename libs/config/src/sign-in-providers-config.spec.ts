import { generateKeyPairSync } from 'node:crypto';
import { problemsOf } from '@backlot/testing/config-problems';
import { loadConfig } from './load-config';

describe('sign-in providers (loadConfig)', () => {
  it('has no providers and no return pages by default, with linking of verified addresses on', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).signInProviders).toEqual({
      providers: [],
      redirectUrls: [],
      publicUrl: undefined,
      linkVerifiedEmails: true,
      timeoutMs: 10_000,
      flowTtlSeconds: 600,
    });
  });

  it('reads presets by name, a generic OpenID provider by issuer, and per-provider scopes and names', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      AUTH_PROVIDERS: 'google, github, corp-sso',
      AUTH_GOOGLE_CLIENT_ID: 'g-id',
      AUTH_GOOGLE_CLIENT_SECRET: 'g-secret',
      AUTH_GITHUB_CLIENT_ID: 'gh-id',
      AUTH_CORP_SSO_ISSUER: 'https://login.corp.example/realms/staff',
      AUTH_CORP_SSO_CLIENT_ID: 'corp',
      AUTH_CORP_SSO_SCOPES: 'openid email',
      AUTH_CORP_SSO_DISPLAY_NAME: 'Staff login',
      OAUTH_REDIRECT_URLS: 'https://app.example.com/auth/done,http://localhost:5173/auth/done',
      PUBLIC_URL: 'https://api.example.com/',
      AUTH_LINK_VERIFIED_EMAILS: 'false',
    }).signInProviders;
    expect(config.providers).toEqual([
      expect.objectContaining({
        name: 'google',
        preset: 'google',
        issuer: 'https://accounts.google.com',
        clientSecret: 'g-secret',
        displayName: 'Google',
      }),
      expect.objectContaining({
        name: 'github',
        preset: 'github',
        issuer: undefined,
        scopes: 'read:user user:email',
        displayName: 'GitHub',
      }),
      expect.objectContaining({ name: 'corp-sso', preset: 'oidc', scopes: 'openid email', displayName: 'Staff login', source: 'env' }),
    ]);
    expect(config.redirectUrls).toEqual(['https://app.example.com/auth/done', 'http://localhost:5173/auth/done']);
    expect(config.publicUrl).toBe('https://api.example.com');
    expect(config.linkVerifiedEmails).toBe(false);
  });

  it('refuses a provider without a client id or the issuer it needs, a bad name and an unusable return page, never echoing a secret', () => {
    const problems = problemsOf({
      NODE_ENV: 'test',
      AUTH_PROVIDERS: 'corp,Bad_Name,microsoft',
      AUTH_CORP_CLIENT_SECRET: 'do-not-echo-me',
      AUTH_MICROSOFT_CLIENT_ID: 'm',
      AUTH_MICROSOFT_ISSUER: 'https://login.microsoftonline.com/common',
      OAUTH_REDIRECT_URLS: 'https://app.example.com/#/done,ftp://x.example/',
    });
    expect(problems).toEqual([
      'AUTH_CORP_CLIENT_ID: is required for the sign-in provider "corp"',
      'AUTH_CORP_ISSUER: is required for the oidc preset (the OpenID Connect issuer URL)',
      'AUTH_PROVIDERS: "Bad_Name" is not a provider name (lower-case letters, digits and dashes)',
      'AUTH_MICROSOFT_ISSUER: must be https://login.microsoftonline.com/<tenant id>/v2.0 for the microsoft preset',
      'OAUTH_REDIRECT_URLS: "https://app.example.com/#/done" must not have a fragment',
      'OAUTH_REDIRECT_URLS: "ftp://x.example/" must be an http(s) URL',
    ]);
    expect(problems.join('\n')).not.toContain('do-not-echo-me');
  });

  it('reads Apple’s team id, key id and signing key (line breaks as \\n), and refuses a key that cannot sign ES256, never echoing it', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const apple = loadConfig({
      NODE_ENV: 'test',
      AUTH_PROVIDERS: 'apple',
      AUTH_APPLE_CLIENT_ID: 'com.example.web',
      AUTH_APPLE_TEAM_ID: 'ABCDE12345',
      AUTH_APPLE_KEY_ID: 'KEY1234567',
      AUTH_APPLE_PRIVATE_KEY: pem.replace(/\n/g, '\\n'),
    }).signInProviders.providers[0];
    expect(apple).toMatchObject({
      preset: 'apple',
      issuer: 'https://appleid.apple.com',
      scopes: 'openid name email',
      appleKey: { teamId: 'ABCDE12345', keyId: 'KEY1234567' },
      clientSecret: pem,
    });

    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const problems = problemsOf({
      NODE_ENV: 'test',
      AUTH_PROVIDERS: 'apple',
      AUTH_APPLE_CLIENT_ID: 'x',
      AUTH_APPLE_TEAM_ID: 'short',
      AUTH_APPLE_PRIVATE_KEY: rsa,
    });
    expect(problems).toEqual([
      'AUTH_APPLE_TEAM_ID: must be the 10-character team id from the Apple developer account',
      'AUTH_APPLE_KEY_ID: is required for the apple preset (the key id from the Apple developer account)',
      'AUTH_APPLE_PRIVATE_KEY: must be an ES256 (P-256) key, the .p8 file from the Apple developer account',
    ]);
    expect(problems.join('\n')).not.toContain('PRIVATE KEY-----');
  });

  it('requires PUBLIC_URL in production once providers are configured', () => {
    expect(problemsOf({ NODE_ENV: 'production', AUTH_PROVIDERS: 'google', AUTH_GOOGLE_CLIENT_ID: 'g' })).toContain(
      'PUBLIC_URL: is required in production with AUTH_PROVIDERS (the callback URL registered at providers)',
    );
  });
});
