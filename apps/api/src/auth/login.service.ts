import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { Forbidden, Unauthenticated } from '@backlot/http';
import { AuditService, OneTimeTokens, type RequestMeta, sha256 } from '@backlot/security';
import { CredentialsService } from '../users/credentials.service';
import type { UserRecord } from '../users/users.repository';
import { normalizeEmail, UsersService } from '../users/users.service';
import { LockoutService } from './lockout.service';
import { type IssuedTokens, SessionsService } from './sessions/sessions.service';

/** The first factor of a sign-in, named in its audit events: `provider:<name>` for a sign-in provider. */
export type SignInMethod = 'password' | 'email-code' | `provider:${string}`;

export type LoginResult = { kind: 'tokens'; tokens: IssuedTokens } | { kind: 'mfa'; challengeToken: string; expiresAt: Date };

// A challenge is a few minutes long; five wrong codes burn it, so guessing 10^6 codes needs 200,000 password logins.
const MAX_CHALLENGE_ATTEMPTS = 5;

/** Password sign-in, with lockout, and the MFA challenge that follows it when MFA is on. */
@Injectable()
export class LoginService {
  private readonly requireVerifiedEmail: boolean;
  private readonly challengeTtlSeconds: number;

  constructor(
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
    private readonly lockout: LockoutService,
    private readonly sessions: SessionsService,
    private readonly tokens: OneTimeTokens,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.requireVerifiedEmail = config.auth.requireEmailVerification;
    this.challengeTtlSeconds = config.auth.mfaChallengeTtlSeconds;
  }

  async login(rawEmail: string, password: string, request: RequestMeta): Promise<LoginResult> {
    const email = normalizeEmail(rawEmail);
    await this.lockout.assertNotLocked(email);
    const user = await this.users.findByEmail(email);
    if (!(await this.credentials.passwordMatches(user, password))) {
      const locked = await this.lockout.recordFailure(email);
      await this.audit.record({
        action: 'auth.login',
        outcome: 'failure',
        actor: { type: 'anonymous', id: user?.id },
        request,
        details: { emailHash: sha256(email).slice(0, 16), locked },
      });
      if (locked)
        await this.audit.record({
          action: 'auth.lockout',
          outcome: 'denied',
          actor: { type: 'anonymous', id: user?.id },
          request,
          details: { emailHash: sha256(email).slice(0, 16) },
        });
      throw new Unauthenticated('The email or password is wrong.');
    }
    // From here on the caller knows the password, so telling them about the account reveals nothing new.
    if (user!.disabledAt) throw new Forbidden('This account is disabled.');
    if (this.requireVerifiedEmail && !user!.emailVerifiedAt)
      throw new Forbidden('Confirm your email address first; the link is in your inbox.');
    await this.lockout.clear(email);
    return this.firstFactorPassed(user!, request, 'password');
  }

  /**
   * Finishes a sign-in whose first factor (password, provider, email code) checked out for an
   * enabled account: the MFA challenge when MFA is on, tokens otherwise. Every way in ends here,
   * so MFA cannot be skipped by choosing another door.
   */
  async firstFactorPassed(user: UserRecord, request: RequestMeta, method: SignInMethod): Promise<LoginResult> {
    if (user.mfaEnabledAt) {
      const challenge = await this.tokens.issue(user.id, 'mfa_challenge', this.challengeTtlSeconds);
      await this.audit.record({
        action: 'auth.login.mfa-challenge',
        outcome: 'success',
        actor: { type: 'user', id: user.id },
        request,
        details: { method },
      });
      return { kind: 'mfa', challengeToken: challenge.token, expiresAt: challenge.expiresAt };
    }
    await this.audit.record({
      action: 'auth.login',
      outcome: 'success',
      actor: { type: 'user', id: user.id },
      request,
      details: { method },
    });
    return { kind: 'tokens', tokens: await this.sessions.start(user.id, request, false) };
  }

  async completeMfa(challengeToken: string, code: string, request: RequestMeta): Promise<IssuedTokens> {
    const invalid = new Unauthenticated('The MFA challenge is invalid or expired; sign in again.');
    const challenge = await this.tokens.peek('mfa_challenge', challengeToken);
    if (!challenge) throw invalid;
    const user = await this.users.findById(challenge.userId);
    if (!user || user.disabledAt || !user.mfaEnabledAt) throw invalid;
    const factor = await this.credentials.secondFactorMatches(user, code);
    if (!factor) {
      const attempts = await this.tokens.countAttempt(challenge.id);
      if (attempts >= MAX_CHALLENGE_ATTEMPTS) await this.tokens.markUsed(challenge.id);
      await this.audit.record({
        action: 'auth.login.mfa',
        outcome: 'failure',
        actor: { type: 'user', id: user.id },
        request,
        details: { attempts },
      });
      throw new Unauthenticated(
        attempts >= MAX_CHALLENGE_ATTEMPTS ? 'Too many wrong codes; sign in again.' : 'The code is wrong or already used.',
      );
    }
    if (!(await this.tokens.markUsed(challenge.id))) throw invalid;
    await this.audit.record({
      action: 'auth.login',
      outcome: 'success',
      actor: { type: 'user', id: user.id },
      request,
      details: { secondFactor: factor },
    });
    return this.sessions.start(user.id, request, true);
  }
}
