import { ApiProperty, ApiPropertyOptional, IntersectionType, PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, IsUUID, MaxLength, ValidateIf } from 'class-validator';
import { PageQuery } from '@backlot/http';
import { MAX_EVENT_PATTERNS } from '../event-patterns';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../webhook.types';
import { MAX_URL_LENGTH } from '../webhooks.service';

/** Left out (undefined) skips the field's validators; null does not, and fails them. */
function isPresent(_object: object, value: unknown): boolean {
  return value !== undefined;
}

export class WebhookIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class DeliveryIdParam extends WebhookIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'deliveryId must be a UUID' })
  deliveryId!: string;
}

export class CreateWebhookDto {
  @ApiProperty({
    example: 'https://hooks.example.com/backlot',
    maxLength: MAX_URL_LENGTH,
    description:
      'http or https, no credentials; private, loopback and metadata addresses are refused unless allow-listed (WEBHOOK_ALLOWED_HOSTS).',
  })
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url!: string;

  @ApiProperty({
    type: [String],
    example: ['tasks.created', 'tasks.*', '*.deleted', 'user.created'],
    maxItems: MAX_EVENT_PATTERNS,
    minItems: 1,
    description:
      '`<collection>.<created|updated|deleted>` with `*` for either part, `user.created`, `user.deleted`, or `*` for everything.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_EVENT_PATTERNS)
  @IsString({ each: true })
  @MaxLength(130, { each: true })
  events!: string[];

  @ApiPropertyOptional({ type: String, maxLength: 500, nullable: true, example: 'Sync tasks to the billing system' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ default: true })
  @ValidateIf(isPresent)
  @IsBoolean()
  enabled?: boolean;
}

/**
 * Any subset; `enabled: true` also clears the failure count and the reason it was disabled.
 * A field may be left out but not sent as null (IsOptional would let null through), except
 * `description`, where null clears it.
 */
export class UpdateWebhookDto extends PartialType(CreateWebhookDto, { skipNullProperties: false }) {}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'https://hooks.example.com/backlot' }) url!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: [String], example: ['tasks.*'] }) events!: string[];
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) disabledAt!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'disabled after 10 failed delivery attempts in a row (last: receiver answered 500)',
  })
  disabledReason!: string | null;
  @ApiProperty({ description: 'Failed delivery attempts in a row; reaching WEBHOOK_DISABLE_AFTER_FAILURES disables the webhook.' })
  consecutiveFailures!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class WebhookWithSecretDto extends WebhookDto {
  @ApiProperty({
    example: 'whsec_3q2-7wAbcdEfGh1jKlMnOpQrStUvWxYz0123456789_-A',
    description: 'The signing secret, shown only now: deliveries carry HMAC-SHA256 signatures keyed with it.',
  })
  secret!: string;
}

export class WebhookPageDto {
  @ApiProperty({ type: [WebhookDto] }) items!: WebhookDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
  @ApiPropertyOptional({ description: 'Present when count=true.' }) total?: number;
}

export class DeliveryFilterQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES, { message: `status must be one of ${DELIVERY_STATUSES.join(', ')}` })
  status?: DeliveryStatus;
}

export class DeliveryListQuery extends IntersectionType(DeliveryFilterQuery, PageQuery) {}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid', description: 'Sent as the Backlot-Delivery header.' }) id!: string;
  @ApiProperty({ format: 'uuid' }) webhookId!: string;
  @ApiProperty({ format: 'uuid', description: "The event id (the body's id, copied to Backlot-Event-Id); the same in redeliveries." })
  eventId!: string;
  @ApiProperty({ example: 'tasks.created' }) event!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, description: 'pending while attempts remain.' }) status!: string;
  @ApiProperty({ description: 'Attempts made so far.' }) attempts!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'HTTP status of the last attempt.' }) responseCode!: number | null;
  @ApiProperty({ type: Number, nullable: true }) latencyMs!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'The first 2 KB of the last response body.' }) responseBody!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the last attempt failed.' }) error!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastAttemptAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the job queue runs the next attempt.' })
  nextAttemptAt!: string | null;
}

export class DeliveryDetailDto extends DeliveryDto {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The body sent: { id, type, createdAt, data }.' })
  payload!: unknown;
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryDto] }) items!: DeliveryDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
  @ApiPropertyOptional({ description: 'Present when count=true.' }) total?: number;
}
