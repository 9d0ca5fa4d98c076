import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type SignInProviderSettings } from '@backlot/config';
import { BadRequest, NotFound, ServiceUnavailable, Unauthenticated } from '@backlot/http';
import { AuditService, FieldEncryption, OneTimeTokens, randomToken, type RequestMeta, sha256 } from '@backlot/security';
import * as oidc from 'openid-client';
import type { UserRecord } from '../../users/users.repository';
import { UsersService } from '../../users/users.service';
import { type LoginResult, LoginService } from '../login.service';
import { IdentitiesRepository } from './identities.repository';
import { type FlowSecrets, isOidc, ProviderClient, ProviderFailure, type ProviderProfile } from './provider-client';
import { ProviderRegistry } from './provider-registry';
import { profileFields, SignInRefused } from './provider-profile';
import { allowedRedirect, returnTo } from './redirect-allow-list';
import { RedirectUrlsRepository } from './redirect-urls.repository';
import { SignInFlowsRepository } from './sign-in-flows.repository';

/** An exchange code is for the SPA page the browser just landed on: seconds, not minutes. */
const EXCHANGE_CODE_TTL_SECONDS = 120;

const flowContext = (stateHash: string): string => `sign_in_flows.secrets:${stateHash}`;

/**
 * Sign-in with a provider for an SPA: authorization code with PKCE, state and nonce; the browser
 * comes back to the SPA with a one-time exchange code (never tokens in a URL), which the SPA
 * trades for Backlot's usual tokens, through the same MFA step as a password sign-in.
 */
@Injectable()
export class ProviderSignInService {
  private readonly settings: AppConfig['signInProviders'];

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly client: ProviderClient,
    private readonly flows: SignInFlowsRepository,
    private readonly redirectUrls: RedirectUrlsRepository,
    private readonly identities: IdentitiesRepository,
    private readonly users: UsersService,
    private readonly login: LoginService,
    private readonly tokens: OneTimeTokens,
    private readonly encryption: FieldEncryption,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.settings = config.signInProviders;
  }

  /** The provider's authorization URL for a new sign-in (or, with `linkUserId`, a link to that account). */
  async start(name: string, redirect: string | undefined, apiBaseUrl: string, linkUserId?: string): Promise<string> {
    const provider = await this.provider(name);
    const returnPage = allowedRedirect(redirect, await this.redirectUrls.all());
    const secrets: FlowSecrets = {
      state: randomToken(32),
      codeVerifier: oidc.randomPKCECodeVerifier(),
      nonce: isOidc(provider) ? oidc.randomNonce() : undefined,
      callbackUrl: `${this.settings.publicUrl ?? apiBaseUrl}/api/v1/auth/providers/${name}/callback`,
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
      linkUserId: linkUserId ?? null,
      expiresAt: new Date(Date.now() + this.settings.flowTtlSeconds * 1000),
    });
    return url;
  }

  /**
   * The provider called back. Answers where to send the browser: the SPA page with `code` (or
   * `linked`) on success, with `error` and `error_description` otherwise. Throws only when the
   * callback belongs to no sign-in we started, so there is no SPA page to tell.
   */
  async callback(name: string, parameters: URLSearchParams, request: RequestMeta): Promise<string> {
    const state = parameters.get('state');
    if (!state || state.length > 200) throw new BadRequest('This callback carries no sign-in state; start the sign-in again.');
    const stateHash = sha256(state);
    const flow = await this.flows.take(stateHash);
    if (!flow) {
      const page = await this.flows.redirectOf(stateHash);
      await this.failed(name, 'expired', request);
      if (!page) throw new BadRequest('This sign-in is unknown, expired or already finished; start it again.');
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
        await this.linkTo(flow.linkUserId, provider, profile, request);
        return returnTo(flow.redirectUrl, { linked: name });
      }
      const user = await this.accountFor(provider, profile, request);
      const exchange = await this.tokens.issue(user.id, 'provider_exchange', EXCHANGE_CODE_TTL_SECONDS, { provider: name });
      return returnTo(flow.redirectUrl, { code: exchange.token });
    } catch (error) {
      if (!(error instanceof ProviderFailure) && !(error instanceof SignInRefused)) throw error;
      await this.failed(name, error.code, request, error.message);
      return returnTo(flow.redirectUrl, { error: error.code, error_description: publicMessage(error) });
    }
  }

  /** Trades the exchange code for tokens, or for the MFA challenge when the account has MFA on. */
  async exchange(code: string, request: RequestMeta): Promise<LoginResult> {
    const invalid = new Unauthenticated('The sign-in code is invalid, expired or already used; sign in again.');
    const stored = await this.tokens.consume('provider_exchange', code);
    if (!stored) throw invalid;
    const user = await this.users.findById(stored.userId);
    if (!user || user.disabledAt) throw invalid;
    const { provider } = (stored.payload ?? {}) as { provider?: string };
    return this.login.firstFactorPassed(user, request, `provider:${provider ?? 'unknown'}`);
  }

  /**
   * The account a provider identity signs in to. Known identity: its account. Otherwise a new
   * account, or (when both sides verified the address and linking is on) the existing account
   * with that address. Never joins on an unverified address: whoever controls such a provider
   * account would take over the Backlot one.
   */
  private async accountFor(provider: SignInProviderSettings, profile: ProviderProfile, request: RequestMeta): Promise<UserRecord> {
    const known = await this.identities.find(provider.name, profile.subject);
    if (known) {
      const user = await this.users.findById(known.userId);
      if (!user || user.disabledAt) throw new SignInRefused('account_disabled', 'This account is disabled.');
      await this.identities.signedIn(known.id, profile.email, profile.emailVerified);
      return user;
    }
    const { email, profile: fields } = profileFields(profile);
    if (!email || !profile.emailVerified)
      throw new SignInRefused('email_not_verified', 'The provider did not give a verified email address, which a new account needs.');
    const existing = await this.users.findByEmail(email);
    if (existing) {
      if (!this.settings.linkVerifiedEmails || !existing.emailVerifiedAt)
        throw new SignInRefused(
          'account_exists',
          `An account with this email exists; sign in to it and link ${provider.displayName} from there.`,
        );
      if (existing.disabledAt) throw new SignInRefused('account_disabled', 'This account is disabled.');
      await this.linkIdentity(existing.id, provider, profile, request, true);
      return existing;
    }
    const user = await this.users.create({ email, passwordHash: null, verified: true, profile: fields });
    await this.linkIdentity(user.id, provider, profile, request, false);
    return user;
  }

  private async linkTo(userId: string, provider: SignInProviderSettings, profile: ProviderProfile, request: RequestMeta): Promise<void> {
    const known = await this.identities.find(provider.name, profile.subject);
    if (known?.userId === userId) return;
    if (known) throw new SignInRefused('identity_in_use', `This ${provider.displayName} account is linked to another account.`);
    const user = await this.users.findById(userId);
    if (!user || user.disabledAt) throw new SignInRefused('account_disabled', 'This account is disabled.');
    await this.linkIdentity(userId, provider, profile, request, false);
  }

  private async linkIdentity(
    userId: string,
    provider: SignInProviderSettings,
    profile: ProviderProfile,
    request: RequestMeta,
    byEmail: boolean,
  ) {
    const linked = await this.identities.link(userId, provider.name, profile.subject, profileFields(profile).email, profile.emailVerified);
    if (!linked)
      throw new SignInRefused('identity_in_use', `This ${provider.displayName} account was just linked by another sign-in; try again.`);
    await this.audit.record({
      action: 'auth.identity.linked',
      outcome: 'success',
      actor: { type: 'user', id: userId },
      request,
      target: { type: 'identity', id: linked.id },
      details: { provider: provider.name, byVerifiedEmail: byEmail },
    });
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

/** What the SPA may show: provider internals (URLs, library messages) stay in the audit log. */
function publicMessage(error: ProviderFailure | SignInRefused): string {
  if (error instanceof SignInRefused) return error.message;
  if (error.code === 'access_denied') return 'The sign-in was cancelled at the provider.';
  if (error.code === 'provider_unavailable') return 'The provider could not be reached; try again later.';
  return 'The provider did not complete the sign-in; start it again.';
}
