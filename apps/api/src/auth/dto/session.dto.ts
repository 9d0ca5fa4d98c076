import { ApiProperty } from '@nestjs/swagger';

export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'Browser and OS, from the user agent', example: 'Firefox on Linux' }) device: string;
  @ApiProperty({ type: String, nullable: true }) userAgent: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Address of the latest sign-in or refresh' }) ip: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', description: 'Latest sign-in or token refresh' }) lastUsedAt: string;
  @ApiProperty({ format: 'date-time' }) expiresAt: string;
  @ApiProperty({ description: 'Whether this is the session of the calling access token' }) current: boolean;
}

export class RevokedCountDto {
  @ApiProperty({ example: 2 }) revoked: number;
}
