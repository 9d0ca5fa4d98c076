import type { SignInProviderSettings } from '@backlot/config';
import { oauthEndpoints, profileFromApi } from './oauth-presets';

const provider = (preset: 'github' | 'discord', issuer?: string): SignInProviderSettings => ({
  name: preset,
  preset,
  displayName: preset,
  issuer,
  clientId: 'id',
  scopes: 's',
  enabled: true,
  source: 'env',
});

/** A user API answering `answers` by URL, recording what was asked. */
function api(answers: Record<string, unknown>) {
  const asked: string[] = [];
  const get = async (url: string) => {
    asked.push(url);
    return url in answers ? Response.json(answers[url]) : new Response('{}', { status: 404 });
  };
  return { asked, get };
}

describe('plain OAuth 2.0 presets', () => {
  it('knows GitHub’s and Discord’s endpoints, and GitHub Enterprise’s under its own host', () => {
    expect(oauthEndpoints(provider('github'))).toMatchObject({ token_endpoint: 'https://github.com/login/oauth/access_token' });
    expect(oauthEndpoints(provider('github', 'https://ghe.corp.example'))).toMatchObject({
      authorization_endpoint: 'https://ghe.corp.example/login/oauth/authorize',
    });
    expect(oauthEndpoints(provider('discord'))).toMatchObject({
      authorization_endpoint: 'https://discord.com/oauth2/authorize',
      token_endpoint: 'https://discord.com/api/oauth2/token',
    });
  });

  it('takes GitHub’s primary verified address, and never an unverified one as verified', async () => {
    const { get, asked } = api({
      'https://api.github.com/user': { id: 7, login: 'ada', name: null, avatar_url: 'https://avatars.example/7' },
      'https://api.github.com/user/emails': [
        { email: 'old@example.com', primary: false, verified: true },
        { email: 'ada@example.com', primary: true, verified: true },
      ],
    });
    expect(await profileFromApi(provider('github'), get)).toEqual({
      subject: '7',
      email: 'ada@example.com',
      emailVerified: true,
      name: 'ada',
      picture: 'https://avatars.example/7',
    });
    expect(asked).toEqual(['https://api.github.com/user', 'https://api.github.com/user/emails']);

    const unverified = api({
      'https://api.github.com/user': { id: 8, login: 'bob' },
      'https://api.github.com/user/emails': [{ email: 'bob@example.com', primary: true, verified: false }],
    });
    expect(await profileFromApi(provider('github'), unverified.get)).toMatchObject({ email: 'bob@example.com', emailVerified: false });
  });

  it('reads Discord’s user, its address verified only when Discord says so, and its avatar URL', async () => {
    const { get } = api({
      'https://discord.com/api/users/@me': {
        id: '80351110224678912',
        username: 'nelly',
        global_name: 'Nelly',
        email: 'nelly@example.com',
        verified: true,
        avatar: 'a1b2',
      },
    });
    expect(await profileFromApi(provider('discord'), get)).toEqual({
      subject: '80351110224678912',
      email: 'nelly@example.com',
      emailVerified: true,
      name: 'Nelly',
      picture: 'https://cdn.discordapp.com/avatars/80351110224678912/a1b2.png',
    });
    const unverified = api({ 'https://discord.com/api/users/@me': { id: '1', username: 'x', email: 'x@example.com', verified: false } });
    expect(await profileFromApi(provider('discord'), unverified.get)).toMatchObject({ emailVerified: false });
  });

  it('refuses a user API that fails or answers an unexpected shape', async () => {
    await expect(profileFromApi(provider('discord'), api({}).get)).rejects.toThrow(/answered 404/);
    const odd = api({ 'https://discord.com/api/users/@me': { id: 42 } });
    await expect(profileFromApi(provider('discord'), odd.get)).rejects.toThrow(/unexpected user shape/);
  });
});
