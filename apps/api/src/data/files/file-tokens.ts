import { Inject, Injectable } from '@nestjs/common';
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { APP_CONFIG, type AppConfig } from '@backlot/config';

const AUDIENCE = 'backlot-files';
const ALGORITHM = 'HS256';

/** What a file token grants: one session's user, one record's files (or one of them), for minutes. */
export interface FileGrant {
  userId: string;
  sessionId: string;
  collectionId: string;
  recordId: string;
  /** One file's stored name; absent: every file of the record. */
  name?: string;
}

interface FileClaims {
  sid: string;
  col: string;
  rec: string;
  file?: string;
}

/**
 * Short-lived tokens for downloads of protected files, where the client cannot send an
 * Authorization header (an <img src>, a link). A token is bound to a session (checked live on
 * each use, so signing out ends it), to one record or one file, and to minutes
 * (FILES_TOKEN_TTL_SECONDS). Signed with a key derived from JWT_SECRET for this purpose only,
 * so an access token is never a file token nor the other way round; earlier secrets still verify.
 */
@Injectable()
export class FileTokens {
  private readonly keys = new Map<string, KeyObject>();
  private readonly currentKeyId: string;
  private readonly ttlSeconds: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { jwtSecret, previousJwtSecrets } = config.auth;
    const derive = (secret: string) => createHmac('sha256', secret).update('backlot file tokens').digest();
    this.currentKeyId = keyIdOf(jwtSecret);
    for (const secret of [jwtSecret, ...previousJwtSecrets]) this.keys.set(keyIdOf(secret), createSecretKey(derive(secret)));
    this.ttlSeconds = config.files.tokenTtlSeconds;
  }

  issue(grant: FileGrant): { token: string; expiresAt: Date } {
    const claims: FileClaims = {
      sid: grant.sessionId,
      col: grant.collectionId,
      rec: grant.recordId,
      ...(grant.name ? { file: grant.name } : {}),
    };
    const token = jwt.sign(claims, this.keys.get(this.currentKeyId)!, {
      algorithm: ALGORITHM,
      keyid: this.currentKeyId,
      subject: grant.userId,
      audience: AUDIENCE,
      expiresIn: this.ttlSeconds,
    });
    return { token, expiresAt: new Date(Date.now() + this.ttlSeconds * 1000) };
  }

  /** The grant a token carries, or undefined when it is not one of ours, altered or expired. */
  verify(token: string): FileGrant | undefined {
    const header = token.slice(0, token.indexOf('.'));
    let key: KeyObject | undefined;
    try {
      const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid?: unknown };
      key = typeof kid === 'string' ? this.keys.get(kid) : undefined;
    } catch {
      return undefined;
    }
    if (!key) return undefined;
    try {
      const claims = jwt.verify(token, key, { algorithms: [ALGORITHM], audience: AUDIENCE }) as FileClaims & { sub?: string };
      if (!claims.sub || !claims.sid || !claims.col || !claims.rec) return undefined;
      return { userId: claims.sub, sessionId: claims.sid, collectionId: claims.col, recordId: claims.rec, name: claims.file };
    } catch {
      return undefined;
    }
  }
}

function keyIdOf(secret: string): string {
  return createHash('sha256').update(`files:${secret}`).digest('hex').slice(0, 8);
}
