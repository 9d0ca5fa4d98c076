import { Injectable, Logger } from '@nestjs/common';
import { Conflict, Forbidden, Gone, ValidationFailed } from '@backlot/http';
import { type AuditActor, AuditService, passwordProblem, randomToken, type RequestMeta, sha256 } from '@backlot/security';
import { CredentialsService } from '../users/credentials.service';
import type { UserRecord } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import { SetupTokensRepository } from './setup-tokens.repository';

export const SETUP_TOKEN_TTL_MINUTES = 60;
export const SETUP_PAGE_PATH = '/_/setup';
const CLOSED = 'Setup is done: an admin account exists. Admins create more admins through the admin API or `npm run admin:create`.';

export type LocalAdminOutcome = 'created' | 'promoted' | 'already-admin';

/**
 * The first admin of a new deployment, without stopping the server: while no admin exists,
 * each start logs a setup URL carrying a one-time token (PocketBase's installer link); the
 * token creates one admin, once. Also the CLI's create-admin, shared by the command run
 * directly and by the running server answering it.
 */
@Injectable()
export class SetupService {
  private readonly logger = new Logger('Setup');

  constructor(
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
    private readonly tokens: SetupTokensRepository,
    private readonly audit: AuditService,
  ) {}

  async isOpen(): Promise<boolean> {
    return !(await this.users.adminExists());
  }

  /** At start: with no admin, a new token, logged once in a URL of the server at `baseUrl`; with one, no token is left. */
  async openIfNoAdmin(baseUrl: string): Promise<void> {
    if (!(await this.isOpen())) return this.tokens.removeAll();
    const token = randomToken(32);
    await this.tokens.add(sha256(token), new Date(Date.now() + SETUP_TOKEN_TTL_MINUTES * 60_000));
    // The one place a token is logged: it is useless once an admin exists, and expires within the hour.
    this.logger.warn(
      `No admin account yet. Create the first one within ${SETUP_TOKEN_TTL_MINUTES} minutes at ${baseUrl}${SETUP_PAGE_PATH}#token=${token} ` +
        '(or POST /api/v1/setup/admin with this token, or run `npm run admin:create -- <email>`). The link works once.',
    );
  }

  async createFirstAdmin(input: { token: string; email: string; password: string }, request: RequestMeta): Promise<UserRecord> {
    if (!(await this.isOpen())) return this.refuse(new Gone(CLOSED), 'closed', request);
    // Hashed before the token is looked at: a wrong token costs the caller as much time as a right one.
    const passwordHash = await this.credentials.hashPassword(input.password);
    const tokenHash = sha256(input.token);
    const user = await this.users.createFirstAdmin({ email: input.email, passwordHash }, (tx) => this.tokens.claim(tx, tokenHash));
    if (user === 'admin-exists') return this.refuse(new Gone(CLOSED), 'closed', request);
    if (user === 'claim-refused')
      return this.refuse(
        new Forbidden(
          'The setup token is wrong, expired or already used. Restart the server for a new setup URL (logged while no admin exists).',
        ),
        'invalid-token',
        request,
      );
    if (user === 'email-taken')
      throw new Conflict(
        'An account with this address exists: pick another address, or make it an admin with `npm run admin:create -- <email>`.',
      );
    await this.recordDone('setup.admin-created', user, { type: 'anonymous' }, { via: 'setup-token' }, request);
    this.logger.log(`Created the first admin ${user.email} with the setup token; setup is closed`);
    return user;
  }

  /**
   * The CLI's create-admin: promotes an existing account, or creates a verified admin with
   * `password` (a ValidationFailed on `password` when it is missing or too weak).
   */
  async createOrPromoteAdmin(
    email: string,
    password: string | undefined,
    request?: RequestMeta,
  ): Promise<{ outcome: LocalAdminOutcome; user: UserRecord }> {
    const actor: AuditActor = { type: 'system' };
    const existing = await this.users.findByEmail(email);
    if (existing?.role === 'admin') return { outcome: 'already-admin', user: existing };
    if (existing) {
      const user = await this.users.setRole(existing.id, 'admin');
      await this.recordDone('user.role-changed', user, actor, { role: 'admin', via: 'cli' }, request);
      return { outcome: 'promoted', user };
    }
    const problem = password === undefined ? 'is required to create the account' : passwordProblem(password);
    if (problem)
      throw new ValidationFailed([
        { path: 'password', code: password === undefined ? 'required' : 'isNewPassword', message: `password ${problem}` },
      ]);
    const passwordHash = await this.credentials.hashPassword(password!);
    const user = await this.users.create({ email, passwordHash, role: 'admin', verified: true });
    await this.recordDone('setup.admin-created', user, actor, { via: 'cli' }, request);
    return { outcome: 'created', user };
  }

  private recordDone(
    action: string,
    user: UserRecord,
    actor: AuditActor,
    details: Record<string, unknown>,
    request?: RequestMeta,
  ): Promise<void> {
    return this.audit.record({ action, outcome: 'success', actor, target: { type: 'user', id: user.id }, request, details });
  }

  private async refuse(error: Error, reason: string, request: RequestMeta): Promise<never> {
    await this.audit.record({
      action: 'setup.admin-created',
      outcome: 'denied',
      actor: { type: 'anonymous' },
      request,
      details: { reason },
    });
    throw error;
  }
}
