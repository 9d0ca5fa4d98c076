import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError, Forbidden } from '@backlot/http';
import { actorOf, AuditService, type Principal, requestMetaOf } from '@backlot/security';
import type { FastifyRequest } from 'fastify';
import { from, type Observable, switchMap, tap } from 'rxjs';
import { ADMIN_ACTION } from './admin-action.metadata';

/**
 * Audits every admin call: who, which action, on which target (the route's `:id` or
 * `:name`), with which query (what an export or search asked for), and how it ended. The
 * event is stored before the handler runs, and a call whose event cannot be stored does not
 * run (fail closed: docs/admin-and-operations.md#admin-api promises every admin call is audited). Streaming responses
 * (exports, downloads) are recorded as successful when the handler hands the stream over.
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
    const started = this.audit.begin({
      action,
      actor: request.user ? actorOf(request.user) : { type: 'anonymous' },
      target: targetId ? { type: action.split('.')[1] ?? 'admin', id: targetId } : undefined,
      request: requestMetaOf(request),
      details: { method: request.method, route: request.routeOptions?.url, ...queryOf(request) },
    });
    return from(started).pipe(
      switchMap((event) =>
        next
          .handle()
          .pipe(
            tap({
              next: () => void event.finish('success'),
              error: (error: unknown) =>
                void event.finish(error instanceof Forbidden ? 'denied' : 'failure', {
                  error: error instanceof DomainError ? error.kind : (error as Error).name,
                }),
            }),
          ),
      ),
    );
  }
}

/** The query string's parameters, bounded (admin queries hold filters and cursors, never secrets). */
function queryOf(request: FastifyRequest): { query?: Record<string, string> } {
  const entries = Object.entries((request.query ?? {}) as Record<string, unknown>).slice(0, 20);
  if (entries.length === 0) return {};
  return { query: Object.fromEntries(entries.map(([key, value]) => [key.slice(0, 64), String(value).slice(0, 256)])) };
}
