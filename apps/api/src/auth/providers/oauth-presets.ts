import type { SignInProviderSettings } from '@backlot/config';
import type { ServerMetadata } from 'openid-client';
import type { ProviderProfile } from './provider-client';

/**
 * The plain OAuth 2.0 providers: no discovery and no ID token, so their endpoints are known here
 * and the user comes from their API. An `issuer` on a github provider points at GitHub Enterprise
 * (its API under /api/v3), or at a stand-in in tests.
 */
export function oauthEndpoints(provider: SignInProviderSettings): ServerMetadata {
  if (provider.preset === 'github') {
    const web = provider.issuer ?? 'https://github.com';
    return { issuer: web, authorization_endpoint: `${web}/login/oauth/authorize`, token_endpoint: `${web}/login/oauth/access_token` };
  }
  const web = provider.issuer ?? 'https://discord.com';
  return { issuer: web, authorization_endpoint: `${web}/oauth2/authorize`, token_endpoint: `${web}/api/oauth2/token` };
}

type Get = (url: string) => Promise<Response>;

export async function profileFromApi(provider: SignInProviderSettings, get: Get): Promise<ProviderProfile> {
  return provider.preset === 'github'
    ? gitHubProfile(gitHubApi(provider), get)
    : discordProfile(provider.issuer ?? 'https://discord.com', get);
}

function gitHubApi(provider: SignInProviderSettings): string {
  return provider.issuer === undefined || provider.issuer === 'https://github.com' ? 'https://api.github.com' : `${provider.issuer}/api/v3`;
}

/** GitHub's own email is taken only when GitHub says it is verified; the primary one first. */
async function gitHubProfile(api: string, get: Get): Promise<ProviderProfile> {
  const user = await json<{ id: number; login: string; name?: string | null; avatar_url?: string }>(get(`${api}/user`));
  const emails = await json<Array<{ email: string; primary: boolean; verified: boolean }>>(get(`${api}/user/emails`));
  if (typeof user.id !== 'number' || !Array.isArray(emails)) throw new Error('GitHub answered with an unexpected user shape');
  const chosen = emails.find((e) => e.primary && e.verified) ?? emails.find((e) => e.verified) ?? emails.find((e) => e.primary);
  return {
    subject: String(user.id),
    email: chosen?.email,
    emailVerified: chosen?.verified === true,
    name: user.name ?? user.login,
    picture: user.avatar_url,
  };
}

async function discordProfile(web: string, get: Get): Promise<ProviderProfile> {
  const user = await json<{
    id: string;
    username: string;
    global_name?: string | null;
    email?: string | null;
    verified?: boolean;
    avatar?: string | null;
  }>(get(`${web}/api/users/@me`));
  if (typeof user.id !== 'string') throw new Error('Discord answered with an unexpected user shape');
  return {
    subject: user.id,
    email: user.email ?? undefined,
    emailVerified: user.verified === true,
    name: user.global_name ?? user.username,
    picture: user.avatar ? `https://cdn.discordapp.com/avatars/${user.id}/${user.avatar}.png` : undefined,
  };
}

async function json<T>(response: Promise<Response>): Promise<T> {
  const answer = await response;
  if (!answer.ok) throw new Error(`the user API answered ${answer.status}`);
  return (await answer.json()) as T;
}
