import { createPrivateKey } from 'node:crypto';
import type { SignInProviderSettings, SignInProvidersConfig } from './config.types';
import type { EnvReader } from './env-reader';

/** What each preset needs beyond a client id: OpenID Connect ones discover from an issuer. */
export const PROVIDER_PRESETS = ['oidc', 'google', 'microsoft', 'apple', 'gitlab', 'github', 'discord'] as const;
export type ProviderPreset = (typeof PROVIDER_PRESETS)[number];

/** A provider's name is a path segment and an env-variable infix: lower-case letters, digits, dashes. */
export const PROVIDER_NAME = /^[a-z][a-z0-9-]{0,39}$/;

const DEFAULT_ISSUERS: Partial<Record<ProviderPreset, string>> = {
  google: 'https://accounts.google.com',
  apple: 'https://appleid.apple.com',
  gitlab: 'https://gitlab.com',
};

/** The issuer a preset uses when none is set (Google's, Apple's, gitlab.com's); undefined when it needs one or has none. */
export function defaultIssuer(preset: ProviderPreset): string | undefined {
  return DEFAULT_ISSUERS[preset];
}

/**
 * Sign-in providers set by the environment (`AUTH_PROVIDERS=google,github` and
 * `AUTH_<NAME>_CLIENT_ID`, `_CLIENT_SECRET`, `_ISSUER`, `_SCOPES`, `_PRESET`, `_DISPLAY_NAME`),
 * the SPA pages a sign-in may return to, and how identities join existing accounts.
 */
export function readSignInProviders(read: EnvReader, production: boolean): SignInProvidersConfig {
  const providers: SignInProviderSettings[] = [];
  for (const name of read.list('AUTH_PROVIDERS')) {
    if (!PROVIDER_NAME.test(name)) {
      read.fail('AUTH_PROVIDERS', `"${name}" is not a provider name (lower-case letters, digits and dashes)`);
      continue;
    }
    const provider = readProvider(read, name);
    if (provider) providers.push(provider);
  }
  const redirectUrls = read.list('OAUTH_REDIRECT_URLS').filter((url) => {
    const problem = redirectUrlProblem(url);
    if (problem) read.fail('OAUTH_REDIRECT_URLS', `"${url}" ${problem}`);
    return !problem;
  });
  const publicUrl = read.url('PUBLIC_URL', ['http:', 'https:'])?.replace(/\/+$/, '');
  // Without it the callback URL would follow the Host header of whoever starts a sign-in.
  if (production && providers.length && !publicUrl)
    read.fail('PUBLIC_URL', 'is required in production with AUTH_PROVIDERS (the callback URL registered at providers)');
  return {
    providers,
    redirectUrls,
    publicUrl,
    linkVerifiedEmails: read.bool('AUTH_LINK_VERIFIED_EMAILS', true),
    timeoutMs: read.int('AUTH_PROVIDER_TIMEOUT_MS', 10_000, { min: 500, max: 60_000 }),
    flowTtlSeconds: read.int('AUTH_PROVIDER_FLOW_TTL_SECONDS', 600, { min: 60, max: 3_600 }),
  };
}

function readProvider(read: EnvReader, name: string): SignInProviderSettings | undefined {
  const prefix = `AUTH_${name.toUpperCase().replace(/-/g, '_')}_`;
  const preset = read.oneOf(
    `${prefix}PRESET`,
    PROVIDER_PRESETS,
    (PROVIDER_PRESETS as readonly string[]).includes(name) ? (name as ProviderPreset) : 'oidc',
  );
  const clientId = read.raw(`${prefix}CLIENT_ID`);
  if (!clientId) read.fail(`${prefix}CLIENT_ID`, `is required for the sign-in provider "${name}"`);
  const issuer = read.url(`${prefix}ISSUER`, ['https:', 'http:']) ?? defaultIssuer(preset);
  const problem = issuerProblem(preset, issuer);
  if (problem) read.fail(`${prefix}ISSUER`, problem);
  const apple = preset === 'apple' ? readAppleKey(read, prefix) : undefined;
  if (!clientId || problem || apple === null) return undefined;
  return {
    name,
    preset,
    displayName: read.string(`${prefix}DISPLAY_NAME`, defaultDisplayName(name)),
    issuer,
    clientId,
    clientSecret: apple ? apple.privateKey : read.raw(`${prefix}CLIENT_SECRET`),
    ...(apple && { appleKey: { teamId: apple.teamId, keyId: apple.keyId } }),
    scopes: read.raw(`${prefix}SCOPES`) ?? defaultScopes(preset),
    enabled: true,
    source: 'env',
  };
}

/**
 * Apple's client secret is a JWT the relying party signs with a key from the developer account:
 * the team id, the key id and the key (.p8, PEM; `\n` may stand for line breaks). Null when
 * something is missing or wrong (each problem reported).
 */
function readAppleKey(read: EnvReader, prefix: string): { teamId: string; keyId: string; privateKey: string } | null {
  const teamId = read.raw(`${prefix}TEAM_ID`);
  const keyId = read.raw(`${prefix}KEY_ID`);
  const privateKey = read.raw(`${prefix}PRIVATE_KEY`)?.replace(/\\n/g, '\n');
  const problems: Array<[string, string | undefined]> = [
    ['TEAM_ID', appleIdProblem(teamId, 'team id')],
    ['KEY_ID', appleIdProblem(keyId, 'key id')],
    ['PRIVATE_KEY', applePrivateKeyProblem(privateKey)],
  ];
  for (const [name, problem] of problems) if (problem) read.fail(`${prefix}${name}`, problem);
  return problems.some(([, problem]) => problem) ? null : { teamId: teamId!, keyId: keyId!, privateKey: privateKey! };
}

/** Apple's team and key ids are ten upper-case letters or digits. Shared with the admin API. */
export function appleIdProblem(value: string | undefined, what: string): string | undefined {
  if (!value) return `is required for the apple preset (the ${what} from the Apple developer account)`;
  return /^[A-Z0-9]{10}$/.test(value) ? undefined : `must be the 10-character ${what} from the Apple developer account`;
}

/** The key signs ES256 client secrets: a P-256 private key in PEM. Never echoes the key. Shared with the admin API. */
export function applePrivateKeyProblem(pem: string | undefined): string | undefined {
  if (!pem) return 'is required for the apple preset (the .p8 key, PEM)';
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return undefined;
  } catch {
    return 'is not a PEM private key (the .p8 file from the Apple developer account)';
  }
  return 'must be an ES256 (P-256) key, the .p8 file from the Apple developer account';
}

/** Why a preset cannot work with this issuer, or undefined. Shared with the admin API. */
export function issuerProblem(preset: ProviderPreset, issuer: string | undefined): string | undefined {
  if (preset === 'github' || preset === 'discord') return undefined;
  if (!issuer) return `is required for the ${preset} preset (the OpenID Connect issuer URL)`;
  if (preset === 'microsoft' && !/^https:\/\/login\.microsoftonline\.com\/[^/]+\/v2\.0$/.test(issuer))
    return 'must be https://login.microsoftonline.com/<tenant id>/v2.0 for the microsoft preset';
  return undefined;
}

/** Why a redirect allow-list entry is unusable, or undefined: an absolute http(s) URL without a fragment. */
export function redirectUrlProblem(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an http(s) URL';
    if (parsed.hash) return 'must not have a fragment';
    return undefined;
  } catch {
    return 'is not a URL';
  }
}

export function defaultScopes(preset: ProviderPreset): string {
  if (preset === 'github') return 'read:user user:email';
  // Apple sends the name and address only when asked, and only with a form_post answer.
  if (preset === 'apple') return 'openid name email';
  if (preset === 'discord') return 'identify email';
  return 'openid email profile';
}

function defaultDisplayName(name: string): string {
  const known: Record<string, string> = { github: 'GitHub', gitlab: 'GitLab', oidc: 'OpenID Connect' };
  return known[name] ?? name.charAt(0).toUpperCase() + name.slice(1);
}
