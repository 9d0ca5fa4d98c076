import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Role } from '@backlot/security';
import type { UserProfile } from '../users.repository';

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'email' }) email: string;
  @ApiProperty() emailVerified: boolean;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ type: String, nullable: true, maxLength: 100 }) displayName: string | null;
  @ApiProperty({ type: String, nullable: true, maxLength: 500 }) bio: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'en-GB' }) locale: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Europe/Paris' }) timezone: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uri' }) avatarUrl: string | null;
  @ApiProperty() mfaEnabled: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static from(user: UserProfile): UserDto {
    return {
      id: user.id,
      email: user.email,
      emailVerified: user.emailVerifiedAt !== null,
      role: user.role,
      displayName: user.displayName,
      bio: user.bio,
      locale: user.locale,
      timezone: user.timezone,
      avatarUrl: user.avatarUrl,
      mfaEnabled: user.mfaEnabledAt !== null,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
    };
  }
}
