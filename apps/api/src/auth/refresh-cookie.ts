import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { Forbidden } from '@backlot/http';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const REFRESH_COOKIE = 'backlot_refresh';
export const CSRF_HEADER = 'x-backlot-csrf';
/** The OpenAPI security scheme describing the cookie (apps/api/src/openapi.ts). */
export const REFRESH_COOKIE_SCHEME = 'refreshCookie';

/**
 * SPA cookie mode: the refresh token lives in an httpOnly cookie scoped to the auth path,
 * so page scripts never see it. Because browsers attach cookies to cross-site requests,
 * every request that reads or sets the cookie must prove it comes from an allowed page:
 * an allowed `Origin` and the custom header (which a cross-site form cannot send, and a
 * cross-site script can only send after a CORS preflight the allow-list refuses).
 */
@Injectable()
export class RefreshCookie {
  private readonly path: string;
  private readonly sameSite: 'strict' | 'lax';
  private readonly secure: boolean;
  private readonly maxAgeSeconds: number;
  private readonly allowedOrigins: Set<string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.path = '/api/v1/auth';
    this.sameSite = config.auth.cookie.sameSite;
    this.secure = config.auth.cookie.secure;
    this.maxAgeSeconds = config.auth.refreshTokenTtlDays * 86_400;
    this.allowedOrigins = new Set([new URL(config.auth.appUrl).origin, ...config.http.corsOrigins.filter((o) => o !== '*')]);
  }

  read(request: FastifyRequest): string | undefined {
    const header = request.headers.cookie;
    return header ? parseCookie(header)[REFRESH_COOKIE] : undefined;
  }

  set(reply: FastifyReply, token: string): void {
    reply.header('set-cookie', this.serialize(token, this.maxAgeSeconds));
  }

  clear(reply: FastifyReply): void {
    reply.header('set-cookie', this.serialize('', 0));
  }

  assertSameSiteRequest(request: FastifyRequest): void {
    if (request.headers[CSRF_HEADER] !== '1') throw new Forbidden(`Cookie mode needs the ${CSRF_HEADER}: 1 header.`);
    const origin = request.headers.origin;
    if (!origin) throw new Forbidden('Cookie mode needs an Origin header.');
    const own = `${request.protocol}://${request.host}`;
    if (origin !== own && !this.allowedOrigins.has(origin)) throw new Forbidden('This origin may not use cookie mode.');
  }

  private serialize(value: string, maxAge: number): string {
    return stringifySetCookie({
      name: REFRESH_COOKIE,
      value,
      httpOnly: true,
      secure: this.secure,
      sameSite: this.sameSite,
      path: this.path,
      maxAge,
    });
  }
}
