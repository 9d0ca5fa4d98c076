import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type SignInProviderSettings } from '@backlot/config';
import { Conflict } from '@backlot/http';
import { AuditService, type RequestMeta } from '@backlot/security';
import type { UserRecord } from '../../users/users.repository';
import { UsersService } from '../../users/users.service';
import { IdentitiesRepository, type IdentityKey, type IdentityRow } from './identities.repository';
import { oauthEndpoints } from './oauth-presets';
import { isOidc, type ProviderProfile } from './provider-client';
import { profileFields, SignInRefused } from './provider-profile';

/** The identity a profile from this provider is: a subject is unique only within its issuer. */
export function identityKey(provider: SignInProviderSettings, profile: ProviderProfile): IdentityKey {
  const issuer = isOidc(provider) ? provider.issuer! : oauthEndpoints(provider).issuer;
  return { provider: provider.name, issuer, subject: profile.subject };
}

/**
 * Which account a provider identity signs in to, and linking identities to accounts. Never joins
 * on an unverified address: whoever controls such a provider account would take over the
 * Backlot one (pre-account takeover).
 */
@Injectable()
export class ProviderAccounts {
  private readonly linkVerifiedEmails: boolean;

  constructor(
    private readonly identities: IdentitiesRepository,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.linkVerifiedEmails = config.signInProviders.linkVerifiedEmails;
  }

  /**
   * Known identity: its account. Otherwise a new account, or (when both sides verified the
   * address and linking is on) the existing account with that address.
   */
  async accountFor(provider: SignInProviderSettings, profile: ProviderProfile, request: RequestMeta): Promise<UserRecord> {
    const key = identityKey(provider, profile);
    const { email, profile: fields } = profileFields(profile);
    const known = await this.identities.find(key);
    if (known) {
      const user = await this.users.findById(known.userId);
      if (!user || user.disabledAt) throw new SignInRefused('account_disabled', 'This account is disabled.');
      await this.identities.signedIn(known.id, email, profile.emailVerified);
      return user;
    }
    if (!email || !profile.emailVerified)
      throw new SignInRefused('email_not_verified', 'The provider did not give a verified email address, which a new account needs.');
    const existing = await this.users.findByEmail(email);
    if (existing) {
      if (!this.linkVerifiedEmails || !existing.emailVerifiedAt)
        throw new SignInRefused(
          'account_exists',
          `An account with this email exists; sign in to it and link ${provider.displayName} from there.`,
        );
      if (existing.disabledAt) throw new SignInRefused('account_disabled', 'This account is disabled.');
      await this.link(existing.id, provider, profile, request, true);
      return existing;
    }
    let user: UserRecord;
    try {
      user = await this.users.create({ email, passwordHash: null, verified: true, profile: fields });
    } catch (error) {
      // Another first sign-in with this identity (or address) created the account a moment ago.
      if (error instanceof Conflict) return this.afterRace(key);
      throw error;
    }
    await this.link(user.id, provider, profile, request, false);
    return user;
  }

  /** Links the identity to a signed-in user's account (the link flow, confirmed by that user). */
  async linkTo(userId: string, provider: SignInProviderSettings, profile: ProviderProfile, request: RequestMeta): Promise<IdentityRow> {
    const known = await this.identities.find(identityKey(provider, profile));
    if (known?.userId === userId) return known;
    if (known) throw new Conflict(`This ${provider.displayName} account is linked to another account.`);
    return this.link(userId, provider, profile, request, false);
  }

  private async afterRace(key: IdentityKey): Promise<UserRecord> {
    const known = await this.identities.find(key);
    const user = known && (await this.users.findById(known.userId));
    if (!user)
      throw new SignInRefused(
        'account_exists',
        'An account with this email was just created; sign in to it and link the provider from there.',
      );
    return user;
  }

  private async link(userId: string, provider: SignInProviderSettings, profile: ProviderProfile, request: RequestMeta, byEmail: boolean) {
    const linked = await this.identities.link(userId, identityKey(provider, profile), profileFields(profile).email, profile.emailVerified);
    if (!linked) throw new Conflict(`This ${provider.displayName} account was just linked by another sign-in; try again.`);
    await this.audit.record({
      action: 'auth.identity.linked',
      outcome: 'success',
      actor: { type: 'user', id: userId },
      request,
      target: { type: 'identity', id: linked.id },
      details: { provider: provider.name, byVerifiedEmail: byEmail },
    });
    return linked;
  }
}
