import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsTimestamp } from '@backlot/http';
import { API_KEY_SCOPES } from '@backlot/security';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import type { ApiKeyRow } from './api-keys.repository';

const SCOPES = Object.keys(API_KEY_SCOPES);

export class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'billing sync' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'name must not contain control characters' })
  name: string;

  @ApiProperty({ type: [String], enum: SCOPES, minItems: 1, description: 'What the key may do; it can never do more than its owner' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true, message: `each scope must be one of ${SCOPES.join(', ')}` })
  scopes: string[];

  @ApiPropertyOptional({ format: 'date-time', description: 'When the key stops working (optional)' })
  @IsOptional()
  @IsTimestamp()
  expiresAt?: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'The first characters of the key, to tell keys apart', example: 'blk_Xk2f9aQe' }) prefix: string;
  @ApiProperty({ type: [String], enum: SCOPES }) scopes: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static from(row: ApiKeyRow): ApiKeyDto {
    return {
      id: row.id,
      name: row.name,
      prefix: row.prefix,
      scopes: row.scopes,
      expiresAt: row.expiresAt?.toISOString() ?? null,
      lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
    };
  }
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself. Shown only in this response; send it as X-API-Key.', example: 'blk_…' }) key: string;
}
