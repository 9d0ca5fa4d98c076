import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type SignInProviderSettings } from '@backlot/config';
import { BadRequest, Conflict, NotFound, ServiceUnavailable, Unauthenticated } from '@backlot/http';
import { AuditService, FieldEncryption, OneTimeTokens, randomToken, type RequestMeta, safeEqual, sha256 } from '@backlot/security';
import * as oidc from 'openid-client';
import { UsersService } from '../../users/users.service';
import { type LoginResult, LoginService } from '../login.service';
import type { IdentityRow } from './identities.repository';
import { ProviderAccounts } from './provider-accounts';
import { type FlowSecrets, isOidc, ProviderClient, ProviderFailure, type ProviderProfile } from './provider-client';
import { SignInRefused } from './provider-profile';
import { ProviderRegistry } from './provider-registry';
import { allowedRedirect, returnTo } from './redirect-allow-list';
import { RedirectUrlsRepository } from './redirect-urls.repository';
import { SignInFlowsRepository } from './sign-in-flows.repository';

/** An exchange code is for the SPA page the browser just landed on: seconds, not minutes. */
const EXCHANGE_CODE_TTL_SECONDS = 120;

const flowContext = (stateHash: string): string => `sign_in_flows.secrets:${stateHash}`;

/** Who asked for a sign-in: the SPA's own challenge, and for a link, the signed-in user. */
export interface FlowStart {
  redirect: string | undefined;
  /** base64url SHA-256 of a verifier only the SPA that starts the flow holds (as PKCE's S256). */
  challenge: string;
  apiBaseUrl: string;
  linkUserId?: string;
}

/** What an exchange code stands for: a sign-in, or a provider account to link once its user confirms. */
type ExchangePayload =
  | { kind: 'sign-in'; provider: string; challenge: string }
  | { kind: 'link'; provider: string; challenge: string; profile: ProviderProfile };

/**
 * Sign-in with a provider for an SPA: authorization code with PKCE, state and nonce; the browser
 * comes back to the SPA with a one-time exchange code (never tokens in a URL), which only the SPA
 * that started the flow can trade (it holds the verifier of the challenge it sent), for Backlot's
 * usual tokens, through the same MFA step as a password sign-in. A planted code (login CSRF) or a
 * link URL sent to a victim is useless without that verifier.
 */
@Injectable()
export class ProviderSignInService {
  private readonly settings: AppConfig['signInProviders'];
  private readonly production: boolean;

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly client: ProviderClient,
    private readonly flows: SignInFlowsRepository,
    private readonly redirectUrls: RedirectUrlsRepository,
    private readonly accounts: ProviderAccounts,
    private readonly users: UsersService,
    private readonly login: LoginService,
    private readonly tokens: OneTimeTokens,
    private readonly encryption: FieldEncryption,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.settings = config.signInProviders;
    this.production = config.env === 'production';
  }

  /** The provider's authorization URL for a new sign-in (or, with `linkUserId`, a link to that account). */
  async start(name: string, start: FlowStart): Promise<string> {
    const provider = await this.provider(name);
    const returnPage = allowedRedirect(start.redirect, await this.redirectUrls.all());
    // The callback URL must be the one registered at the provider; a Host header must not choose it.
    if (this.production && !this.settings.publicUrl) throw new ServiceUnavailable('Sign-in with providers needs PUBLIC_URL in production.');
    const secrets: FlowSecrets = {
      state: randomToken(32),
      codeVerifier: oidc.randomPKCECodeVerifier(),
      nonce: isOidc(provider) ? oidc.randomNonce() : undefined,
      callbackUrl: `${this.settings.publicUrl ?? start.apiBaseUrl}/api/v1/auth/providers/${name}/callback`,
      appChallenge: start.challenge,
    };
    let url: string;
    try {
      url = await this.client.authorizationUrl(provider, secrets);
    } catch (error) {
      if (error instanceof ProviderFailure)
        throw new ServiceUnavailable(`The sign-in provider "${name}" cannot be reached; try again later.`);
      throw error;
    }
    const stateHash = sha256(secrets.state);
    await this.flows.create({
      stateHash,
      provider: name,
      secrets: this.encryption.encrypt(JSON.stringify(secrets), flowContext(stateHash)),
      redirectUrl: returnPage.href,
      linkUserId: start.linkUserId ?? null,
      expiresAt: new Date(Date.now() + this.settings.flowTtlSeconds * 1000),
    });
    return url;
  }

  /**
   * The provider called back. Answers where to send the browser: the SPA page with `code` (or
   * `link_code`) on success, with `error` and `error_description` otherwise. Throws only when
   * the callback belongs to no sign-in we started, so there is no SPA page to tell.
   */
  async callback(name: string, parameters: URLSearchParams, request: RequestMeta): Promise<string> {
    const state = parameters.get('state');
    if (!state || state.length > 200) throw new BadRequest('This callback carries no sign-in state; start the sign-in again.');
    const stateHash = sha256(state);
    const flow = await this.flows.take(stateHash);
    if (!flow) {
      const page = await this.flows.redirectOf(stateHash);
      if (!page) throw new BadRequest('This sign-in is unknown, expired or already finished; start it again.');
      await this.failed(name, 'expired', request);
      return returnTo(page, { error: 'expired', error_description: 'The sign-in expired or was already finished; start it again.' });
    }
    try {
      if (flow.provider !== name)
        throw new ProviderFailure('provider_error', 'The callback came from another provider than the sign-in started with.');
      const provider = await this.registry.enabled(name);
      if (!provider) throw new ProviderFailure('provider_error', `The sign-in provider "${name}" was turned off.`);
      const secrets = JSON.parse(this.encryption.decrypt(flow.secrets, flowContext(stateHash))) as FlowSecrets;
      const callbackUrl = new URL(secrets.callbackUrl);
      callbackUrl.search = parameters.toString();
      const profile = await this.client.finish(provider, callbackUrl, secrets);
      if (flow.linkUserId) {
        const payload: ExchangePayload = { kind: 'link', provider: name, challenge: secrets.appChallenge, profile };
        const exchange = await this.tokens.issue(flow.linkUserId, 'provider_exchange', EXCHANGE_CODE_TTL_SECONDS, payload);
        return returnTo(flow.redirectUrl, { link_code: exchange.token });
      }
      const user = await this.accounts.accountFor(provider, profile, request);
      const payload: ExchangePayload = { kind: 'sign-in', provider: name, challenge: secrets.appChallenge };
      const exchange = await this.tokens.issue(user.id, 'provider_exchange', EXCHANGE_CODE_TTL_SECONDS, payload);
      return returnTo(flow.redirectUrl, { code: exchange.token });
    } catch (error) {
      const refusal = asRefusal(error);
      if (!refusal) throw error;
      await this.failed(name, refusal.code, request, refusal.message);
      return returnTo(flow.redirectUrl, { error: refusal.code, error_description: publicMessage(refusal) });
    }
  }

  /** Trades a sign-in's exchange code (with the SPA's verifier) for tokens, or the MFA challenge when MFA is on. */
  async exchange(code: string, verifier: string, request: RequestMeta): Promise<LoginResult> {
    const { userId, payload } = await this.redeem(code, verifier, 'sign-in');
    const user = await this.users.findById(userId);
    if (!user || user.disabledAt) throw invalidCode();
    return this.login.firstFactorPassed(user, request, `provider:${payload.provider}`);
  }

  /** Links the provider account a link flow brought back, for the signed-in user who started it. */
  async confirmLink(userId: string, code: string, verifier: string, request: RequestMeta): Promise<IdentityRow> {
    const redeemed = await this.redeem(code, verifier, 'link');
    if (redeemed.userId !== userId) throw invalidCode();
    const payload = redeemed.payload as Extract<ExchangePayload, { kind: 'link' }>;
    const provider = await this.registry.enabled(payload.provider);
    if (!provider) throw new Conflict(`The sign-in provider "${payload.provider}" was turned off.`);
    return this.accounts.linkTo(userId, provider, payload.profile, request);
  }

  /** Spends the code; it must be of this kind and come with the verifier of the challenge its flow started with. */
  private async redeem(
    code: string,
    verifier: string,
    kind: ExchangePayload['kind'],
  ): Promise<{ userId: string; payload: ExchangePayload }> {
    const stored = await this.tokens.consume('provider_exchange', code);
    const payload = stored?.payload as ExchangePayload | undefined;
    if (!stored || payload?.kind !== kind) throw invalidCode();
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (!safeEqual(challenge, payload.challenge)) throw invalidCode();
    return { userId: stored.userId, payload };
  }

  private async provider(name: string): Promise<SignInProviderSettings> {
    const provider = await this.registry.enabled(name);
    if (!provider) throw new NotFound(`No enabled sign-in provider is called "${name}".`);
    return provider;
  }

  private failed(provider: string, reason: string, request: RequestMeta, message?: string): Promise<void> {
    return this.audit.record({
      action: 'auth.provider.sign-in',
      outcome: 'failure',
      actor: { type: 'anonymous' },
      request,
      details: { provider, reason, ...(message && { message: message.slice(0, 300) }) },
    });
  }
}

function invalidCode(): Unauthenticated {
  return new Unauthenticated('The sign-in code is invalid, expired, already used, or not for this page; sign in again.');
}

/** An error the SPA page should hear about, as a refusal with a code; undefined for a fault (a 5xx). */
function asRefusal(error: unknown): ProviderFailure | SignInRefused | undefined {
  if (error instanceof ProviderFailure || error instanceof SignInRefused) return error;
  if (error instanceof Conflict) return new SignInRefused('identity_in_use', error.message);
  return undefined;
}

/** What the SPA may show: provider internals (URLs, library messages) stay in the audit log. */
function publicMessage(error: ProviderFailure | SignInRefused): string {
  if (error instanceof SignInRefused) return error.message;
  if (error.code === 'access_denied') return 'The sign-in was cancelled at the provider.';
  if (error.code === 'provider_unavailable') return 'The provider could not be reached; try again later.';
  return 'The provider did not complete the sign-in; start it again.';
}
