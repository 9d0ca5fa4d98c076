import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Unauthenticated } from '@backlot/http';
import { API_KEY_HEADER, Authenticated, CurrentPrincipal, OptionalAuthentication, type Principal } from '@backlot/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RecordAccess } from '../access/record-access';
import { CollectionCatalog } from '../collections/collection-catalog';
import { RealtimeTicketDto } from './dto/realtime.dto';
import { StreamCredentials } from './stream-credentials';
import { RealtimeHub, RETRY_MS } from './realtime-hub';
import { RealtimeTickets } from './realtime-tickets';
import { ruleActions } from './record-visibility';
import type { Subscription } from './sse-connection';
import { compileRealtimeFilter, MAX_SUBSCRIPTIONS, parseRealtimeQuery } from './subscriptions';

const EVENT_STREAM = 'text/event-stream';
const STREAM_DESCRIPTION = `A Server-Sent Events stream. Events:
- \`ready\`: first; \`data\` lists the subscriptions and the heartbeat interval.
- \`created\`, \`updated\`, \`deleted\`: \`id\` is the event id (resume with Last-Event-ID), \`data\` is
  \`{"collection","action","record"}\` with the record as GET would show it to the caller (a deleted record as it was).
  Records the caller may not list/view, or that fail the subscription's filter, are never sent.
- \`resync\`: events may be missing (Last-Event-ID no longer held, changes lost on their way, or one that could not be
  checked for this caller): reload, then follow live events.
- \`revoked\` (session or key revoked, account disabled or deleted: at once), \`dropped\` (the client read too slowly),
  \`shutdown\` (the server is stopping): the last event; reconnect (with Last-Event-ID) where it makes sense.
- \`: ping\` comments every REALTIME_HEARTBEAT_SECONDS.`;

@ApiTags('realtime')
@Controller('realtime')
export class RealtimeController {
  constructor(
    private readonly hub: RealtimeHub,
    private readonly tickets: RealtimeTickets,
    private readonly catalog: CollectionCatalog,
    private readonly credentials: StreamCredentials,
    private readonly access: RecordAccess,
  ) {}

  @Get()
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({
    summary: 'Subscribe to record changes (Server-Sent Events), under the collections’ rules',
    description:
      'Authenticate with the access token (Authorization: Bearer), an API key with records:read, a ticket from ' +
      'POST /realtime/tickets (for EventSource, which cannot send headers), or not at all (only what rules open to ' +
      'everyone). Every parameter is checked before the stream starts.\n\n' +
      STREAM_DESCRIPTION,
  })
  @ApiProduces(EVENT_STREAM)
  @ApiQuery({
    name: 'subscribe',
    isArray: true,
    type: String,
    required: true,
    description: `A collection (\`tasks\`) or one record (\`tasks:<uuid>\`); repeat for more (at most ${MAX_SUBSCRIPTIONS}).`,
  })
  @ApiQuery({
    name: 'filter.<collection>',
    type: String,
    required: false,
    description:
      "Narrows a subscribed collection with the data filter language (e.g. `filter.tasks=status = 'open'`). Text " +
      'ordering and non-ASCII `~` depend on the database collation and are refused (400).',
  })
  @ApiQuery({ name: 'ticket', type: String, required: false, description: 'A ticket from POST /realtime/tickets (single use).' })
  @ApiQuery({ name: 'lastEventId', type: String, required: false, description: 'As the Last-Event-ID header, for a fresh page.' })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Replay the events after this one (EventSource sends it).' })
  @ApiOkResponse({ description: STREAM_DESCRIPTION, content: { [EVENT_STREAM]: { schema: { type: 'string' } } } })
  @ApiProblems(400, 401, 403, 404, 429, 503)
  async stream(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = parseRealtimeQuery((request.query ?? {}) as Record<string, unknown>);
    const principal = query.ticket ? await this.redeem(query.ticket) : ((request as { user?: Principal }).user ?? null);
    const subscriptions: Subscription[] = [];
    for (const requested of query.subscriptions) {
      const schema = await this.catalog.get(requested.collection);
      // 403 when a rule closes the collection to this caller altogether.
      for (const action of ruleActions(requested.recordId)) this.access.requireOpen(schema, action, principal);
      const filter = query.filters.get(requested.collection) ?? null;
      if (filter) compileRealtimeFilter(`filter.${requested.collection}`, filter, schema.filterFields, this.access.seesHidden(principal));
      subscriptions.push({ collection: requested.collection, recordId: requested.recordId, filter });
    }
    const apiKey = request.headers[API_KEY_HEADER];
    const owner = {
      principal,
      limitKey: principal ? `user:${principal.userId}` : `ip:${request.ip}`,
      apiKey: principal?.kind === 'api-key' && typeof apiKey === 'string' ? apiKey : undefined,
    };
    const lastEventId = headerValue(request.headers['last-event-id']) ?? query.lastEventId;
    const raw = reply.raw;
    // A client that left while the checks above were awaited will not emit 'close' again: no stream, no slot held.
    if (request.raw.destroyed || raw.destroyed) return void reply.hijack();
    const release = this.hub.reserve(owner.limitKey);

    // From here the stream is ours: Fastify's serializers and the problem filter no longer apply.
    reply.hijack();
    raw.socket?.setNoDelay(true);
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': `${EVENT_STREAM}; charset=utf-8`,
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    raw.write(
      `retry: ${RETRY_MS}\nevent: ready\ndata: ${JSON.stringify({
        subscriptions: subscriptions.map(({ collection, recordId, filter }) => ({ collection, recordId, filter })),
        heartbeatSeconds: this.hub.heartbeatSeconds,
      })}\n\n`,
    );
    this.hub.open(raw, owner, subscriptions, lastEventId, release);
  }

  @Post('tickets')
  @Authenticated()
  @ApiOperation({
    summary: 'A single-use ticket for GET /realtime?ticket=… (browsers’ EventSource cannot send the access token)',
    description: 'Valid once, for 30 seconds, for the calling session: revoking the session ends streams opened with it.',
  })
  @ApiCreatedResponse({ type: RealtimeTicketDto })
  @ApiProblems(403, 503)
  async ticket(@CurrentPrincipal() principal: Principal): Promise<RealtimeTicketDto> {
    // Authenticated() without an API key scope admits session principals only.
    const sessionId = principal.kind === 'session' ? principal.sessionId : '';
    const { ticket, expiresAt } = await this.tickets.issue({ userId: principal.userId, sessionId });
    return { ticket, expiresAt: expiresAt.toISOString() };
  }

  private async redeem(ticket: string): Promise<Principal> {
    const holder = await this.tickets.redeem(ticket);
    if (!holder) throw new Unauthenticated('The realtime ticket is unknown, expired or already used; ask for a new one.');
    const principal = await this.credentials.fromTicket(holder);
    if (!principal) throw new Unauthenticated('The session the ticket was issued for has ended; sign in again.');
    return principal;
  }
}

/** Any value is looked up as given: one this instance does not hold (however malformed) gets `resync`, never silence. */
function headerValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first || undefined;
}
