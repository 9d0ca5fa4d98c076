import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError, Forbidden } from '@backlot/http';
import { actorOf, AuditService, type Principal, requestMetaOf } from '@backlot/security';
import type { FastifyRequest } from 'fastify';
import { type Observable, tap } from 'rxjs';
import { ADMIN_ACTION } from './admin-controller.decorator';

/**
 * Writes one audit event per admin call, after it ends: who, which action, on which target
 * (the route's `:id` or `:name`), with which query (what an export or search asked for), and
 * whether it succeeded. Streaming responses (exports, downloads) are recorded when the
 * handler hands the stream over.
 */
@Injectable()
export class AdminAuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const action = `admin.${this.reflector.get<string | undefined>(ADMIN_ACTION, context.getHandler()) ?? context.getHandler().name}`;
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const targetId = params.id ?? params.name;
    const record = (outcome: 'success' | 'failure' | 'denied', details?: Record<string, unknown>) =>
      void this.audit.record({
        action,
        outcome,
        actor: request.user ? actorOf(request.user) : { type: 'anonymous' },
        target: targetId ? { type: action.split('.')[1] ?? 'admin', id: targetId.slice(0, 254) } : undefined,
        request: requestMetaOf(request),
        details: { method: request.method, route: request.routeOptions?.url, ...queryOf(request), ...details },
      });
    return next
      .handle()
      .pipe(
        tap({
          next: () => record('success'),
          error: (error: unknown) =>
            record(error instanceof Forbidden ? 'denied' : 'failure', {
              error: error instanceof DomainError ? error.kind : (error as Error).name,
            }),
        }),
      );
  }
}

/** The query string's parameters, bounded (admin queries hold filters and cursors, never secrets). */
function queryOf(request: FastifyRequest): { query?: Record<string, string> } {
  const entries = Object.entries((request.query ?? {}) as Record<string, unknown>).slice(0, 20);
  if (entries.length === 0) return {};
  return { query: Object.fromEntries(entries.map(([key, value]) => [key.slice(0, 64), String(value).slice(0, 256)])) };
}
