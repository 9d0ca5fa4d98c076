import { Injectable } from '@nestjs/common';
import { Forbidden, Unauthenticated } from '@backlot/http';
import { DomainEvents } from '@backlot/events';
import { AuditService, type RequestMeta, sha256 } from '@backlot/security';
import { CredentialsService } from '../../users/credentials.service';
import type { UserRecord } from '../../users/users.repository';
import { normalizeEmail, UsersService } from '../../users/users.service';
import { LockoutService } from '../lockout.service';
import { type LoginResult, LoginService, type SignInMethod } from '../login.service';
import { EmailCodeJobs } from './email-code-jobs';
import { SignInCodes } from './sign-in-codes';

const METHOD: SignInMethod = 'email-code';

/**
 * Sign-in with a code or link mailed to the account's address: for accounts without a password
 * (made by a sign-in provider) and for anyone who prefers it. A code is a first factor like a
 * password: the same per-address lockout, the same 401 for an unknown address, and the MFA
 * challenge after it when MFA is on (LoginService.firstFactorPassed).
 */
@Injectable()
export class EmailCodeService {
  constructor(
    private readonly users: UsersService,
    private readonly codes: SignInCodes,
    private readonly jobs: EmailCodeJobs,
    private readonly lockout: LockoutService,
    private readonly login: LoginService,
    private readonly audit: AuditService,
    private readonly credentials: CredentialsService,
    private readonly events: DomainEvents,
  ) {}

  /** Queues the lookup and the mail (EmailCodeJobs): the answer, and its timing, are the same for every address. */
  requestCode(rawEmail: string, request: RequestMeta): Promise<void> {
    return this.jobs.requestCode(normalizeEmail(rawEmail), request);
  }

  async signInWithCode(rawEmail: string, code: string, request: RequestMeta): Promise<LoginResult> {
    const email = normalizeEmail(rawEmail);
    await this.lockout.assertNotLocked(email);
    const user = await this.users.findByEmail(email);
    if (!(await this.codes.redeemCode(user, code))) {
      await this.recordFailure(email, user, request);
      throw new Unauthenticated('The email or code is wrong, or the code has expired.');
    }
    await this.lockout.clear(email);
    return this.signIn(user!, request);
  }

  /** The link's token is 256 random bits, not guessable: no lockout, so a locked-out owner still gets in by the link. */
  async signInWithLink(token: string, request: RequestMeta): Promise<LoginResult> {
    const user = await this.codes.redeemLink(token);
    if (!user) {
      await this.audit.record({
        action: 'auth.login',
        outcome: 'failure',
        actor: { type: 'anonymous' },
        request,
        details: { method: METHOD, reason: 'invalid-link' },
      });
      throw new Unauthenticated('The sign-in link is invalid, expired or already used.');
    }
    await this.lockout.clear(user.email);
    return this.signIn(user, request);
  }

  private async signIn(user: UserRecord, request: RequestMeta): Promise<LoginResult> {
    // From here on the caller holds what was mailed to the account, so telling them about it reveals nothing new.
    if (user.disabledAt) throw new Forbidden('This account is disabled.');
    // The code proves the inbox, as a reset link does. Whoever set the password of an unconfirmed
    // account never proved the address (someone may have registered it first): like a reset, the
    // owner's first code sign-in drops that password and ends its sessions, then confirms the address.
    if (!user.emailVerifiedAt) {
      if (user.passwordHash !== null) {
        await this.credentials.clearPassword(user.id);
        await this.events.emit('user.credentials-changed', { userId: user.id, reason: 'email-code-claim' });
      }
      await this.users.markEmailVerified(user.id);
    }
    return this.login.firstFactorPassed(user, request, METHOD);
  }

  private async recordFailure(email: string, user: UserRecord | null, request: RequestMeta): Promise<void> {
    const locked = await this.lockout.recordFailure(email);
    const actor = { type: 'anonymous' as const, id: user?.id };
    const emailHash = sha256(email).slice(0, 16);
    await this.audit.record({ action: 'auth.login', outcome: 'failure', actor, request, details: { method: METHOD, emailHash, locked } });
    if (locked)
      await this.audit.record({ action: 'auth.lockout', outcome: 'denied', actor, request, details: { method: METHOD, emailHash } });
  }
}
