import { Inject, Injectable } from '@nestjs/common';
import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import jwt from 'jsonwebtoken';

/** The only algorithm accepted; pinned so a token cannot choose `none` or an asymmetric trick. */
export const ACCESS_TOKEN_ALGORITHM = 'HS256';

export interface AccessTokenClaims {
  sub: string;
  sid: string;
}

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
}

function keyIdOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 8);
}

/**
 * Signs access tokens with the current JWT_SECRET and knows every key that may have
 * signed a live token: each token names its key (`kid`), so rotating JWT_SECRET while the
 * old one moves to JWT_PREVIOUS_SECRETS logs nobody out. Keys are KeyObjects made once:
 * jsonwebtoken given a string first tries it as a public key on every verify.
 */
@Injectable()
export class AccessTokens {
  private readonly keys = new Map<string, KeyObject>();
  private readonly currentKeyId: string;
  readonly issuer: string;
  readonly audience: string;
  private readonly ttlSeconds: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { jwtSecret, previousJwtSecrets, issuer, audience, accessTokenTtlSeconds } = config.auth;
    this.currentKeyId = keyIdOf(jwtSecret);
    for (const secret of [jwtSecret, ...previousJwtSecrets]) this.keys.set(keyIdOf(secret), createSecretKey(Buffer.from(secret)));
    this.issuer = issuer;
    this.audience = audience;
    this.ttlSeconds = accessTokenTtlSeconds;
  }

  sign(claims: AccessTokenClaims): IssuedAccessToken {
    const token = jwt.sign({ sid: claims.sid }, this.keys.get(this.currentKeyId)!, {
      algorithm: ACCESS_TOKEN_ALGORITHM,
      keyid: this.currentKeyId,
      subject: claims.sub,
      issuer: this.issuer,
      audience: this.audience,
      expiresIn: this.ttlSeconds,
    });
    return { token, expiresAt: new Date(Date.now() + this.ttlSeconds * 1000) };
  }

  /** The verification key a token names in its header, if it is one of ours. */
  keyFor(rawToken: string): KeyObject | undefined {
    const header = rawToken.slice(0, rawToken.indexOf('.'));
    try {
      const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid?: unknown };
      return typeof kid === 'string' ? this.keys.get(kid) : undefined;
    } catch {
      return undefined;
    }
  }
}
