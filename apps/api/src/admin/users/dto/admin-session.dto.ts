import { ApiProperty } from '@nestjs/swagger';

/** One of a user's live sessions as an admin sees it: the device and times, never a token or its hash. */
export class AdminSessionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'Browser and OS, from the user agent', example: 'Firefox on Linux' }) device!: string;
  @ApiProperty({ type: String, nullable: true, description: 'As the client sent it: untrusted text.' }) userAgent!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Address of the latest sign-in or refresh' }) ip!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', description: 'Latest sign-in or token refresh' }) lastUsedAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}
