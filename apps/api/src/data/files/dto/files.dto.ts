import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';

const STORED_NAME = /^[a-z0-9][a-z0-9_-]{0,80}_[a-z0-9]{10}(\.[a-z0-9]{1,10})?$/;

export class FileTokenRequestDto {
  @ApiProperty({ example: 'invoices', description: 'The collection of the record whose files the token opens.' })
  @IsString()
  @MaxLength(63)
  collection!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  record!: string;

  @ApiPropertyOptional({
    example: 'scan_k3j9x0a2mq.pdf',
    description: 'One file’s stored name: the token opens only that file. Without it, every file of the record.',
  })
  @IsOptional()
  @Matches(STORED_NAME, { message: 'name must be a stored file name as the record shows it' })
  name?: string;
}

export class FileTokenDto {
  @ApiProperty({ description: 'Append as `?token=` to the file’s URL (img src, links) until it expires.', example: 'eyJhbGciOi…' })
  token!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}

export class DownloadQuery {
  @ApiPropertyOptional({ example: '100x100', description: 'One of the thumbnail sizes the field declares (images only).' })
  @IsOptional()
  @Matches(/^\d{1,4}x\d{1,4}$/, { message: 'thumb must be a size WxH such as 100x100' })
  thumb?: string;

  @ApiPropertyOptional({
    description: 'A file token (POST /files/token): needed for protected files when no Authorization header can be sent.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2_000)
  token?: string;

  @ApiPropertyOptional({ enum: ['1', 'true'], description: 'Answer with Content-Disposition: attachment (save instead of show).' })
  @IsOptional()
  @IsIn(['1', 'true'])
  download?: string;
}
