import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { PageQuery, QueryBoolean, QueryTime } from '@backlot/http';
import { ROLES, type Role } from '@backlot/security';
import { IsBoolean, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import type { AdminUserView } from '../user-moderation.service';
import { UserDto } from './user.dto';

export class UserIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class UserFilterQuery {
  @ApiPropertyOptional({ description: 'Part of the email address or display name, in any case.', maxLength: 254, example: 'ada' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'q must not contain control characters' })
  q?: string;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ description: 'Only disabled (true) or only enabled (false) accounts.' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ description: 'Only accounts whose email is verified (true) or not (false).' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  verified?: boolean;

  @ApiPropertyOptional({ description: 'Only accounts with MFA on (true) or off (false).' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  mfa?: boolean;

  @QueryTime('Created at or after this time.') createdFrom?: string;
  @QueryTime('Created at or before this time.') createdTo?: string;
}

export class AdminUserListQuery extends IntersectionType(UserFilterQuery, PageQuery) {}

export class ChangeRoleDto {
  @ApiProperty({ enum: ROLES, example: 'admin' })
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role!: Role;
}

/** A user as operators see it: the profile plus the account's access state. */
export class AdminUserDto extends UserDto {
  @ApiProperty() disabled!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) disabledAt!: string | null;

  static of(user: AdminUserView): AdminUserDto {
    return { ...UserDto.from(user), disabled: user.disabledAt !== null, disabledAt: user.disabledAt };
  }
}

export class AdminUserDetailDto extends AdminUserDto {
  @ApiProperty({ description: 'Sessions neither revoked nor expired.', example: 2 }) activeSessions!: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Latest sign-in, while the audit log still holds it.' })
  lastSignInAt!: string | null;
}

export class AdminUserPageDto {
  @ApiProperty({ type: [AdminUserDto] }) items!: AdminUserDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
  @ApiPropertyOptional({ description: 'Present when count=true.' }) total?: number;
}
