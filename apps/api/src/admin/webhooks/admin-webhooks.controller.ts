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
  @ApiOperation({ summary: 'Subscribe a URL to events; the signing secret is in this response only' })
  @ApiCreatedResponse({ type: WebhookWithSecretDto })
  @ApiProblems(400)
  create(@Body() body: CreateWebhookDto): Promise<WebhookWithSecretDto> {
    return this.webhooks.create(body);
  }

  @Get()
  @AdminAction('webhooks.list')
  @ApiOperation({ summary: 'Webhooks, newest first' })
  @ApiOkResponse({ type: WebhookPageDto })
  @ApiProblems(400)
  list(@Query() query: PageQuery): Promise<WebhookPageDto> {
    return this.webhooks.list({ cursor: query.cursor, limit: query.limit ?? DEFAULT_LIMIT, count: query.count });
  }

  @Get(':id')
  @AdminAction('webhooks.view')
  @ApiOperation({ summary: 'One webhook (never its secret), with its enabled state and failure count' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiProblems(400, 404)
  view(@Param() { id }: WebhookIdParam): Promise<WebhookDto> {
    return this.webhooks.get(id);
  }

  @Patch(':id')
  @AdminAction('webhooks.update')
  @ApiOperation({ summary: 'Change the URL, events, description or enabled state (enabling resets the failure count)' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiProblems(400, 404)
  update(@Param() { id }: WebhookIdParam, @Body() body: UpdateWebhookDto): Promise<WebhookDto> {
    return this.webhooks.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminAction('webhooks.delete')
  @ApiOperation({ summary: 'Delete the webhook and its delivery log; queued deliveries are dropped' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  async remove(@Param() { id }: WebhookIdParam): Promise<void> {
    await this.webhooks.remove(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @AdminAction('webhooks.rotate-secret')
  @ApiOperation({ summary: 'Replace the signing secret at once; the new one is in this response only' })
  @ApiOkResponse({ type: WebhookWithSecretDto })
  @ApiProblems(400, 404)
  rotateSecret(@Param() { id }: WebhookIdParam): Promise<WebhookWithSecretDto> {
    return this.webhooks.rotateSecret(id);
  }

  @Post(':id/ping')
  @HttpCode(202)
  @AdminAction('webhooks.ping')
  @ApiOperation({ summary: 'Queue a signed `ping` event to this webhook; 409 when it is disabled' })
  @ApiAcceptedResponse({ type: DeliveryDto })
  @ApiProblems(400, 404, 409)
  ping(@Param() { id }: WebhookIdParam): Promise<DeliveryDto> {
    return this.webhooks.ping(id);
  }

  @Get(':id/deliveries')
  @AdminAction('webhooks.deliveries')
  @ApiOperation({ summary: 'The delivery log, newest first: status, attempts, response code, latency, truncated body' })
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
  @ApiOperation({ summary: 'One delivery, with the body that was sent' })
  @ApiOkResponse({ type: DeliveryDetailDto })
  @ApiProblems(400, 404)
  delivery(@Param() { id, deliveryId }: DeliveryIdParam): Promise<DeliveryDetailDto> {
    return this.webhooks.delivery(id, deliveryId);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @AdminAction('webhooks.redeliver')
  @ApiOperation({ summary: 'Send the same event again as a new delivery (same event id and body, new signature); 409 when disabled' })
  @ApiAcceptedResponse({ type: DeliveryDto })
  @ApiProblems(400, 404, 409)
  redeliver(@Param() { id, deliveryId }: DeliveryIdParam): Promise<DeliveryDto> {
    return this.webhooks.redeliver(id, deliveryId);
  }
}
