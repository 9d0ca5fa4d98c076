import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { Forbidden, Unauthenticated } from '@backlot/http';
import type { FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service';
import { actorOf, type AuditActor } from '../audit/audit.types';
import { ACCESS_RULE, type AccessRule } from './access.decorators';
import { JWT_STRATEGY, JwtStrategy } from './jwt.strategy';
import { type Principal, PrincipalResolver } from './principal';
import { requestMetaOf } from './request-context';
import { VerifiedTokens } from './verified-tokens';

export const API_KEY_HEADER = 'x-api-key';

interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: Principal;
}

/** passport's guard for the JWT strategy, failing with problem+json 401s instead of Nest's exception. */
class JwtGuard extends AuthGuard(JWT_STRATEGY) {
  override handleRequest<T>(error: unknown, user: T, info: unknown): T {
    // passport-jwt reports a bad token as `info`; an `error` comes from validate(), which
    // throws Unauthenticated itself, so anything else is a failure to check the session (the
    // database unavailable): a 401 would sign the client out for the server's trouble.
    if (error) throw error;
    if (!user) throw new Unauthenticated(describeTokenFailure(info));
    return user;
  }
}

function describeTokenFailure(info: unknown): string {
  const name = (info as { name?: string } | undefined)?.name;
  if (name === 'TokenExpiredError') return 'The access token has expired; refresh it.';
  if (name === 'NotBeforeError') return 'The access token is not valid yet.';
  return 'The access token is invalid.';
}

/**
 * The global guard: every route is closed unless a decorator from access.decorators.ts
 * opens it. It authenticates the caller (Bearer access token or API key), then checks
 * the route's roles and API key scopes. The principal lands on `request.user`.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly rules = new WeakMap<object, AccessRule | null>();
  private readonly jwt = new JwtGuard();
  private resolver?: PrincipalResolver;
  private audit?: AuditService;

  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
    private readonly verified: VerifiedTokens,
    private readonly strategy: JwtStrategy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.ruleFor(context);
    if (!rule) throw new Forbidden('This route is not open to any caller.');
    if (rule.public) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (rule.optional && !request.headers.authorization && !request.headers[API_KEY_HEADER]) return true;
    let principal: Principal;
    try {
      principal = await this.authenticate(context, request);
    } catch (error) {
      return this.unauthenticated(context, rule, error);
    }
    if (principal.kind === 'api-key') {
      if (rule.apiKeyScopes.length === 0)
        return this.deny(context, principal, rule, 'API keys cannot call this route; use an access token.');
      const missing = rule.apiKeyScopes.filter((scope) => !principal.scopes.includes(scope));
      if (missing.length > 0) return this.deny(context, principal, rule, `The API key lacks the scope ${missing.join(', ')}.`, { missing });
    }
    if (rule.roles.length > 0 && !rule.roles.includes(principal.role))
      return this.deny(context, principal, rule, 'Your role does not allow this.');
    return true;
  }

  /** A signed-in caller was refused: audited (who, which route, what it needs) before the 403. */
  private async deny(
    context: ExecutionContext,
    principal: Principal,
    rule: Extract<AccessRule, { public: false }>,
    message: string,
    details: Record<string, unknown> = {},
  ): Promise<never> {
    await this.recordDenial(context, actorOf(principal), rule, details);
    throw new Forbidden(message);
  }

  /**
   * No valid credentials: the 401 goes out as thrown. On routes that need a role (the admin
   * surface), it is audited too: someone probing them without, or with forged, credentials.
   * Other routes are left out: an expired token is routine there, and the rate limit bounds
   * what an attacker can add to the log.
   */
  private async unauthenticated(context: ExecutionContext, rule: Extract<AccessRule, { public: false }>, error: unknown): Promise<never> {
    if (rule.roles.length > 0 && error instanceof Unauthenticated)
      await this.recordDenial(context, { type: 'anonymous' }, rule, { reason: error.message });
    throw error;
  }

  private async recordDenial(
    context: ExecutionContext,
    actor: AuditActor,
    rule: Extract<AccessRule, { public: false }>,
    details: Record<string, unknown>,
  ): Promise<void> {
    this.audit ??= this.moduleRef.get(AuditService, { strict: false });
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    await this.audit.record({
      action: 'access.denied',
      outcome: 'denied',
      actor,
      request: requestMetaOf(request),
      details: {
        method: request.method,
        route: request.routeOptions?.url,
        requiredRoles: rule.roles,
        requiredScopes: rule.apiKeyScopes,
        ...details,
      },
    });
  }

  private async authenticate(context: ExecutionContext, request: AuthenticatedRequest): Promise<Principal> {
    const authorization = request.headers.authorization;
    if (authorization) {
      // A token verified before goes straight to its session check; any other through passport-jwt.
      const claims = typeof authorization === 'string' ? this.verified.lookup(authorization) : undefined;
      if (!claims) {
        await this.jwt.canActivate(context);
        return request.user!;
      }
      request.user = await this.strategy.sessionPrincipal(claims);
      return request.user;
    }
    const apiKey = request.headers[API_KEY_HEADER];
    if (typeof apiKey === 'string' && apiKey) {
      this.resolver ??= this.moduleRef.get(PrincipalResolver, { strict: false });
      const principal = await this.resolver.fromApiKey(apiKey);
      if (!principal) throw new Unauthenticated('The API key is invalid, expired or revoked.');
      request.user = principal;
      return principal;
    }
    throw new Unauthenticated('Sign in: send an access token (Authorization: Bearer) or an API key (X-API-Key).');
  }

  private ruleFor(context: ExecutionContext): AccessRule | null {
    const handler = context.getHandler();
    let rule = this.rules.get(handler);
    if (rule === undefined) {
      rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [handler, context.getClass()]) ?? null;
      this.rules.set(handler, rule);
    }
    return rule;
  }
}
