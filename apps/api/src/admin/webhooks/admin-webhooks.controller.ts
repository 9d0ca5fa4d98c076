import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiProblems, DEFAULT_LIMIT, PageQuery } from '@backlot/http';
import {
  CreateWebhookDto,
  DeliveryDetailDto,
  DeliveryDto,
  DeliveryIdParam,
  DeliveryListQuery,
  DeliveryPageDto,
  UpdateWebhookDto,
  WebhookDto,
  WebhookIdParam,
  WebhookPageDto,
  WebhookWithSecretDto,
} from '../../data/webhooks/dto/webhook.dto';
import { WebhooksService } from '../../data/webhooks/webhooks.service';
import { AdminAction, AdminController } from '../admin-controller.decorator';

@AdminController('webhooks')
export class AdminWebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @AdminAction('webhooks.create')
  @ApiOperation({
    summary: 'Subscribe a URL to events; the signing secret is in this response only',
    description:
      'Admins only; audited as `admin.webhooks.create`. 400 for a URL that is not http(s), holds credentials or reaches an internal ' +
      'address not allowed by WEBHOOK_ALLOWED_HOSTS, or for a malformed event pattern; a host name that does not resolve within 2 s is ' +
      'accepted and checked at delivery. Enabled unless `enabled` is false.',
  })
  @ApiCreatedResponse({ type: WebhookWithSecretDto })
  @ApiProblems(400)
  create(@Body() body: CreateWebhookDto): Promise<WebhookWithSecretDto> {
    return this.webhooks.create(body);
  }

  @Get()
  @AdminAction('webhooks.list')
  @ApiOperation({
    summary: 'Webhooks, newest first',
    description: 'Admins only; audited as `admin.webhooks.list`. Cursor pages; `count=true` adds `total`. Secrets are never shown.',
  })
  @ApiOkResponse({ type: WebhookPageDto })
  @ApiProblems(400)
  list(@Query() query: PageQuery): Promise<WebhookPageDto> {
    return this.webhooks.list({ cursor: query.cursor, limit: query.limit ?? DEFAULT_LIMIT, count: query.count });
  }

  @Get(':id')
  @AdminAction('webhooks.view')
  @ApiOperation({
    summary: 'One webhook (never its secret), with its enabled state and failure count',
    description:
      'Admins only; audited as `admin.webhooks.view`. A webhook disabled by an admin or after repeated failed attempts shows when and ' +
      'why in `disabledAt` and `disabledReason`. 404 for an unknown id.',
  })
  @ApiOkResponse({ type: WebhookDto })
  @ApiProblems(400, 404)
  view(@Param() { id }: WebhookIdParam): Promise<WebhookDto> {
    return this.webhooks.get(id);
  }

  @Patch(':id')
  @AdminAction('webhooks.update')
  @ApiOperation({
    summary: 'Change the URL, events, description or enabled state (enabling resets the failure count)',
    description:
      'Admins only; audited as `admin.webhooks.update`. Any subset of the fields; `null` is a 400 except for `description`, which it ' +
      'clears, and a new URL is checked as at creation. Deliveries that come due while the webhook is disabled are marked failed, not ' +
      'sent; 404 for an unknown id.',
  })
  @ApiOkResponse({ type: WebhookDto })
  @ApiProblems(400, 404)
  update(@Param() { id }: WebhookIdParam, @Body() body: UpdateWebhookDto): Promise<WebhookDto> {
    return this.webhooks.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminAction('webhooks.delete')
  @ApiOperation({
    summary: 'Delete the webhook and its delivery log; queued deliveries are dropped',
    description:
      'Admins only; audited as `admin.webhooks.delete`. To stop deliveries but keep the log, PATCH `enabled: false` instead. 404 for an ' +
      'unknown id.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  async remove(@Param() { id }: WebhookIdParam): Promise<void> {
    await this.webhooks.remove(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @AdminAction('webhooks.rotate-secret')
  @ApiOperation({
    summary: 'Replace the signing secret at once; the new one is in this response only',
    description:
      'Admins only; audited as `admin.webhooks.rotate-secret`. Later deliveries, retries of earlier ones included, are signed with the ' +
      'new secret only; the old one gets no grace period. 404 for an unknown id.',
  })
  @ApiOkResponse({ type: WebhookWithSecretDto })
  @ApiProblems(400, 404)
  rotateSecret(@Param() { id }: WebhookIdParam): Promise<WebhookWithSecretDto> {
    return this.webhooks.rotateSecret(id);
  }

  @Post(':id/ping')
  @HttpCode(202)
  @AdminAction('webhooks.ping')
  @ApiOperation({
    summary: 'Queue a signed `ping` event to this webhook; 409 when it is disabled',
    description:
      'Admins only; audited as `admin.webhooks.ping`. Answers with the new delivery as the log lists it; its attempts run through the ' +
      'job queue, and failed ones count towards automatic disabling like any other. 404 for an unknown id.',
  })
  @ApiAcceptedResponse({ type: DeliveryDto })
  @ApiProblems(400, 404, 409)
  ping(@Param() { id }: WebhookIdParam): Promise<DeliveryDto> {
    return this.webhooks.ping(id);
  }

  @Get(':id/deliveries')
  @AdminAction('webhooks.deliveries')
  @ApiOperation({
    summary: 'The delivery log, newest first: status, attempts, response code, latency, truncated body',
    description:
      'Admins only; audited as `admin.webhooks.deliveries`. `status` keeps pending, succeeded or failed deliveries; cursor pages; ' +
      '`count=true` adds `total`. 404 for an unknown webhook.',
  })
  @ApiOkResponse({ type: DeliveryPageDto })
  @ApiProblems(400, 404)
  deliveries(@Param() { id }: WebhookIdParam, @Query() query: DeliveryListQuery): Promise<DeliveryPageDto> {
    return this.webhooks.deliveries(id, {
      status: query.status,
      cursor: query.cursor,
      limit: query.limit ?? DEFAULT_LIMIT,
      count: query.count,
    });
  }

  @Get(':id/deliveries/:deliveryId')
  @AdminAction('webhooks.delivery')
  @ApiOperation({
    summary: 'One delivery, with the body that was sent',
    description:
      'Admins only; audited as `admin.webhooks.delivery`. 404 when the webhook or the delivery is unknown, or the delivery belongs to ' +
      'another webhook.',
  })
  @ApiOkResponse({ type: DeliveryDetailDto })
  @ApiProblems(400, 404)
  delivery(@Param() { id, deliveryId }: DeliveryIdParam): Promise<DeliveryDetailDto> {
    return this.webhooks.delivery(id, deliveryId);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @AdminAction('webhooks.redeliver')
  @ApiOperation({
    summary: 'Send the same event again as a new delivery (same event id and body, new signature); 409 when disabled',
    description:
      'Admins only; audited as `admin.webhooks.redeliver`. Any delivery can be sent again, whatever its status; the answer is the new ' +
      'delivery, whose attempts run through the job queue. 404 when the webhook or the delivery is unknown, or the delivery belongs to ' +
      'another webhook.',
  })
  @ApiAcceptedResponse({ type: DeliveryDto })
  @ApiProblems(400, 404, 409)
  redeliver(@Param() { id, deliveryId }: DeliveryIdParam): Promise<DeliveryDto> {
    return this.webhooks.redeliver(id, deliveryId);
  }
}
