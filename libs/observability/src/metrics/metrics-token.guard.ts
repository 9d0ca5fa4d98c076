import { type CanActivate, type ExecutionContext, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { Unauthenticated } from '@backlot/http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** When METRICS_TOKEN is set, scrapes must send `Authorization: Bearer <token>` (on either listener). */
export class MetricsToken {
  private readonly expected?: Buffer;

  constructor(token: string | undefined) {
    this.expected = token ? digest(token) : undefined;
  }

  /** Throws Unauthenticated unless the header carries the token (or none is configured). */
  check(authorization: string | undefined): void {
    if (!this.expected) return;
    const header = authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    // Comparing fixed-length digests keeps the comparison constant-time whatever is sent.
    if (presented && timingSafeEqual(digest(presented), this.expected)) return;
    throw new Unauthenticated('A valid metrics token is required (Authorization: Bearer <METRICS_TOKEN>).');
  }
}

/** /metrics on the API port: absent when metrics are served on their own listener or switched off. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly token: MetricsToken;
  private readonly servedHere: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { metricsToken, metricsEnabled, metricsListener } = config.observability;
    this.token = new MetricsToken(metricsToken);
    this.servedHere = metricsEnabled && !metricsListener;
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // The same answer as a path the API has no route for.
    if (!this.servedHere) throw new NotFoundException(`Cannot ${request.method} ${request.url}`);
    this.token.check(request.headers.authorization);
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
