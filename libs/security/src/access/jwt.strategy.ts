import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { PassportStrategy } from '@nestjs/passport';
import { Unauthenticated } from '@backlot/http';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { ACCESS_TOKEN_ALGORITHM, AccessTokens } from './access-tokens';
import { type Principal, PrincipalResolver } from './principal';
import { ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS, type VerifiedClaims, VerifiedTokens } from './verified-tokens';

interface AccessTokenPayload {
  sub?: unknown;
  sid?: unknown;
  exp?: unknown;
  nbf?: unknown;
}

export const JWT_STRATEGY = 'jwt';

/**
 * passport-jwt checks signature (pinned HS256, key chosen by `kid`), expiry, issuer and
 * audience; then the session must still be live, which the resolver answers from the
 * shared cache, so a revoked session's tokens fail at once on every instance. A verified
 * token is remembered (VerifiedTokens): the guard skips verifying it again, not the session.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  private resolver?: PrincipalResolver;

  constructor(
    tokens: AccessTokens,
    private readonly verified: VerifiedTokens,
    private readonly moduleRef: ModuleRef,
  ) {
    super({
      passReqToCallback: true,
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (_request: unknown, rawToken: string, done: (error: Error | null, key?: string | Buffer) => void) => {
        const key = tokens.keyFor(rawToken);
        // A KeyObject works where jsonwebtoken expects a string or Buffer (see AccessTokens).
        if (key) done(null, key as unknown as Buffer);
        else done(new Error('unknown signing key'));
      },
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: tokens.issuer,
      audience: tokens.audience,
      jsonWebTokenOptions: { clockTolerance: ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS },
    });
  }

  async validate(request: { headers: { authorization?: string } }, payload: AccessTokenPayload): Promise<Principal> {
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw new Unauthenticated('The access token is malformed.');
    const claims = { sub: payload.sub, sid: payload.sid };
    const principal = await this.sessionPrincipal(claims);
    if (request.headers.authorization)
      this.verified.remember(request.headers.authorization, { ...claims, exp: payload.exp, nbf: payload.nbf });
    return principal;
  }

  /** The caller a verified token speaks for, while its session is live. */
  async sessionPrincipal(claims: VerifiedClaims): Promise<Principal> {
    this.resolver ??= this.moduleRef.get(PrincipalResolver, { strict: false });
    const principal = await this.resolver.fromSession(claims.sub, claims.sid);
    if (!principal) throw new Unauthenticated('The session has ended; sign in again.');
    return principal;
  }
}
