import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { PassportStrategy } from '@nestjs/passport';
import { Unauthenticated } from '@backlot/http';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { ACCESS_TOKEN_ALGORITHM, AccessTokens } from './access-tokens';
import { type Principal, PrincipalResolver } from './principal';

interface AccessTokenPayload {
  sub?: unknown;
  sid?: unknown;
}

export const JWT_STRATEGY = 'jwt';

/**
 * passport-jwt checks signature (pinned HS256, key chosen by `kid`), expiry, issuer and
 * audience; then the session must still be live, which the resolver answers from the
 * shared cache, so a revoked session's tokens fail at once on every instance.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  private resolver?: PrincipalResolver;

  constructor(
    tokens: AccessTokens,
    private readonly moduleRef: ModuleRef,
  ) {
    super({
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
      jsonWebTokenOptions: { clockTolerance: 5 },
    });
  }

  async validate(payload: AccessTokenPayload): Promise<Principal> {
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw new Unauthenticated('The access token is malformed.');
    this.resolver ??= this.moduleRef.get(PrincipalResolver, { strict: false });
    const principal = await this.resolver.fromSession(payload.sub, payload.sid);
    if (!principal) throw new Unauthenticated('The session has ended; sign in again.');
    return principal;
  }
}
