import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { Unauthenticated } from '@backlot/http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** When METRICS_TOKEN is set, scrapes must send `Authorization: Bearer <token>`. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const token = config.observability.metricsToken;
    this.expected = token ? digest(token) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    // Comparing fixed-length digests keeps the comparison constant-time whatever is sent.
    if (presented && timingSafeEqual(digest(presented), this.expected)) return true;
    throw new Unauthenticated('A valid metrics token is required (Authorization: Bearer <METRICS_TOKEN>).');
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
