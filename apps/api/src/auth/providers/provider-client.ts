import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type SignInProviderSettings } from '@backlot/config';
import * as oidc from 'openid-client';
import { APPLE_SECRET_REFRESH_MS, appleClientSecret, appleUserName } from './apple';
import { oauthEndpoints, profileFromApi } from './oauth-presets';

/** Who the provider says signed in. `emailVerified` is the provider's claim, never assumed. */
export interface ProviderProfile {
  subject: string;
  email?: string;
  emailVerified: boolean;
  name?: string;
  picture?: string;
}

/** What the callback needs to finish a sign-in it started; kept sealed in the flow row. */
export interface FlowSecrets {
  codeVerifier: string;
  nonce?: string;
  state: string;
  callbackUrl: string;
  /** The SPA's challenge: its exchange code is redeemed only with the matching verifier. */
  appChallenge: string;
}

/** Why a sign-in at a provider did not give a profile; the code is what the SPA sees. */
export class ProviderFailure extends Error {
  constructor(
    readonly code: 'access_denied' | 'provider_error' | 'provider_unavailable',
    message: string,
  ) {
    super(message);
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The relying-party side, on openid-client: discovery, PKCE S256, state, nonce, ID-token checks
 * (signature against the provider's JWKS, `iss`, `aud`, `exp`, `nonce`) and RFC 9207 `iss` all
 * happen in the library. Plain OAuth 2.0 presets (GitHub, Discord) read the user from their API.
 */
@Injectable()
export class ProviderClient {
  /** Discovery results per provider settings; a failed discovery is not kept, so the next try redoes it. */
  private readonly configurations = new Map<string, Promise<oidc.Configuration>>();
  private readonly timeoutSeconds: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.timeoutSeconds = config.signInProviders.timeoutMs / 1000;
  }

  async authorizationUrl(provider: SignInProviderSettings, secrets: FlowSecrets): Promise<string> {
    const configuration = await this.configuration(provider);
    const parameters: Record<string, string> = {
      redirect_uri: secrets.callbackUrl,
      scope: provider.scopes,
      state: secrets.state,
      code_challenge: await oidc.calculatePKCECodeChallenge(secrets.codeVerifier),
      code_challenge_method: 'S256',
    };
    if (secrets.nonce) parameters.nonce = secrets.nonce;
    // Apple sends the name and address only to a form_post callback.
    if (provider.preset === 'apple') parameters.response_mode = 'form_post';
    return oidc.buildAuthorizationUrl(configuration, parameters).href;
  }

  /** Finishes the sign-in the provider called back about: checks the response, trades the code, reads the user. */
  async finish(provider: SignInProviderSettings, callback: URL, secrets: FlowSecrets): Promise<ProviderProfile> {
    const error = callback.searchParams.get('error');
    if (error === 'access_denied') throw new ProviderFailure('access_denied', 'The sign-in was cancelled at the provider.');
    const configuration = await this.configuration(provider);
    // The ID token that counts comes from the token endpoint; Apple's copy in the callback and its
    // unsigned `user` field are not checked by openid-client (it refuses hybrid-flow answers).
    const response = new URL(callback);
    for (const extra of ['id_token', 'user']) response.searchParams.delete(extra);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, response, {
        pkceCodeVerifier: secrets.codeVerifier,
        expectedState: secrets.state,
        ...(secrets.nonce ? { expectedNonce: secrets.nonce, idTokenExpected: true } : {}),
      });
    } catch (cause) {
      throw this.failure(cause, 'The provider did not complete the sign-in');
    }
    const profile = isOidc(provider)
      ? this.profileFromIdToken(provider, tokens.claims())
      : await this.profileFromApi(provider, configuration, tokens.access_token);
    if (provider.preset === 'apple') profile.name ??= appleUserName(callback.searchParams.get('user'));
    // The subject keys the identity row: a provider sending one the column cannot hold is answering wrongly.
    if (!/^[\x21-\x7e]{1,255}$/.test(profile.subject))
      throw new ProviderFailure('provider_error', 'The provider sent an unusable subject.');
    return profile;
  }

  private profileFromIdToken(provider: SignInProviderSettings, claims: oidc.IDToken | undefined): ProviderProfile {
    if (!claims) throw new ProviderFailure('provider_error', 'The provider sent no ID token.');
    return {
      subject: claims.sub,
      email: typeof claims.email === 'string' ? claims.email : undefined,
      emailVerified: emailVerified(provider, claims),
      name: typeof claims.name === 'string' ? claims.name : undefined,
      picture: typeof claims.picture === 'string' ? claims.picture : undefined,
    };
  }

  /** Forgets a provider's discovery (its settings changed or were removed). */
  forget(name: string): void {
    for (const key of this.configurations.keys()) if (key.startsWith(`${name}\n`)) this.configurations.delete(key);
  }

  private async profileFromApi(
    provider: SignInProviderSettings,
    configuration: oidc.Configuration,
    accessToken: string,
  ): Promise<ProviderProfile> {
    try {
      return await profileFromApi(provider, (url) =>
        oidc.fetchProtectedResource(
          configuration,
          accessToken,
          new URL(url),
          'GET',
          undefined,
          new Headers({ accept: 'application/json' }),
        ),
      );
    } catch (cause) {
      throw this.failure(cause, 'The provider did not say who signed in');
    }
  }

  private configuration(provider: SignInProviderSettings): Promise<oidc.Configuration> {
    // Apple's secret is a short-lived JWT: a new configuration (and secret) every half hour.
    const secretEpoch = provider.preset === 'apple' ? Math.floor(Date.now() / APPLE_SECRET_REFRESH_MS) : 0;
    const key = [provider.name, provider.preset, provider.issuer, provider.clientId, provider.clientSecret, secretEpoch].join('\n');
    let configuration = this.configurations.get(key);
    if (!configuration) {
      this.forget(provider.name); // what is cached under older settings (or an older Apple secret)
      configuration = this.build(provider);
      configuration.catch(() => this.configurations.delete(key));
      this.configurations.set(key, configuration);
    }
    return configuration;
  }

  private async build(provider: SignInProviderSettings): Promise<oidc.Configuration> {
    const secret = provider.preset === 'apple' ? await appleClientSecret(provider) : provider.clientSecret;
    const auth = secret ? oidc.ClientSecretPost(secret) : oidc.None();
    const insecure = provider.issuer !== undefined && isLoopbackHttp(provider.issuer);
    let configuration: oidc.Configuration;
    if (isOidc(provider)) {
      try {
        configuration = await oidc.discovery(new URL(provider.issuer!), provider.clientId, undefined, auth, {
          timeout: this.timeoutSeconds,
          // openid-client trusts TLS for an ID token from the token endpoint unless told to verify its
          // signature too (OIDC Core 3.1.3.7 allows either); Backlot always checks it against the JWKS.
          execute: insecure ? [oidc.enableNonRepudiationChecks, oidc.allowInsecureRequests] : [oidc.enableNonRepudiationChecks],
        });
      } catch (cause) {
        throw this.failure(cause, `Could not reach the provider's discovery document at ${provider.issuer}`);
      }
    } else {
      configuration = new oidc.Configuration(oauthEndpoints(provider), provider.clientId, undefined, auth);
      if (insecure) oidc.allowInsecureRequests(configuration);
    }
    configuration.timeout = this.timeoutSeconds;
    return configuration;
  }

  /** Network trouble is the provider being unavailable; anything else is the provider answering wrongly. */
  private failure(cause: unknown, what: string): ProviderFailure {
    if (cause instanceof ProviderFailure) return cause;
    const reason = describe(cause);
    const unavailable =
      /fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|timed? ?out|aborted|TimeoutError|AbortError|status code 5\d\d/i.test(
        reason,
      );
    return new ProviderFailure(unavailable ? 'provider_unavailable' : 'provider_error', `${what}: ${reason}`);
  }
}

/**
 * Whether the provider vouches for the address. Apple sends `"true"` as a string. Entra ID sends
 * no `email_verified` at all and lets tenants set unverified addresses (the "nOAuth" flaw): only
 * its optional `xms_edov` claim (the domain owner verified the address) counts there.
 */
function emailVerified(provider: SignInProviderSettings, claims: oidc.IDToken): boolean {
  const yes = (value: unknown) => value === true || value === 'true' || value === '1' || value === 1;
  return provider.preset === 'microsoft' ? yes(claims.xms_edov) : yes(claims.email_verified);
}

export function isOidc(provider: SignInProviderSettings): boolean {
  return provider.preset !== 'github' && provider.preset !== 'discord';
}

/** Plain http only for a provider on this machine (a local identity server in development or tests). */
function isLoopbackHttp(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'http:' && (LOOPBACK.has(parsed.hostname) || /^127(\.\d{1,3}){3}$/.test(parsed.hostname));
}

/** The error and its causes in one line (the library wraps network errors: "something went wrong" ← "fetch failed"). */
function describe(cause: unknown): string {
  const parts: string[] = [];
  // Duck-typed: errors from Node's own fetch may come from another realm than this module's Error.
  for (let error = cause, depth = 0; error && typeof error === 'object' && depth < 4; depth++) {
    const { name, code, message } = error as { name?: string; code?: string; message?: string };
    parts.push(...[name && name !== 'Error' ? name : undefined, code, message].filter((part): part is string => Boolean(part)));
    error = (error as { cause?: unknown }).cause;
  }
  return (parts.length ? parts.join(': ') : String(cause)).slice(0, 300);
}
