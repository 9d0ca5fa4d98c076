import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { TokensDto } from './dto/credentials.dto';
import { RefreshCookie } from './refresh-cookie';
import type { IssuedTokens } from './sessions/sessions.service';

/** Shapes issued tokens for the caller's mode: all in the body, or the refresh token in the cookie. */
@Injectable()
export class TokenResponse {
  constructor(private readonly cookie: RefreshCookie) {}

  send(tokens: IssuedTokens, cookieMode: boolean, reply: FastifyReply): TokensDto {
    reply.header('cache-control', 'no-store');
    if (cookieMode) this.cookie.set(reply, tokens.refreshToken);
    return {
      accessToken: tokens.accessToken,
      tokenType: 'Bearer',
      expiresIn: Math.round((tokens.accessTokenExpiresAt.getTime() - Date.now()) / 1000),
      ...(!cookieMode && { refreshToken: tokens.refreshToken }),
      refreshTokenExpiresAt: tokens.refreshTokenExpiresAt.toISOString(),
      sessionId: tokens.sessionId,
    };
  }
}
