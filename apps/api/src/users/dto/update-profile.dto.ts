import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  MinLength,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';

@ValidatorConstraint({ name: 'isTimeZone' })
class IsTimeZone implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string' || value.length > 64) return false;
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  }
  defaultMessage(): string {
    return 'timezone must be an IANA time zone such as Europe/Paris';
  }
}

/** Profile fields a user may change; `null` clears a field, an absent key leaves it alone. */
export class UpdateProfileDto {
  @ApiPropertyOptional({ type: String, nullable: true, minLength: 1, maxLength: 100, example: 'Ada Lovelace' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'displayName must not contain control characters' })
  displayName?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @Matches(/^[\n\r\t\P{Cc}]*$/u, { message: 'bio must not contain control characters other than line breaks and tabs' })
  bio?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'en-GB', description: 'BCP 47 language tag' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}$/, { message: 'locale must be a BCP 47 language tag such as en-GB' })
  locale?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'Europe/Paris', description: 'IANA time zone' })
  @IsOptional()
  @Validate(IsTimeZone)
  timezone?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, format: 'uri', maxLength: 2048, example: 'https://example.com/me.png' })
  @IsOptional()
  @IsUrl({ protocols: ['https'], require_protocol: true }, { message: 'avatarUrl must be an https URL' })
  @MaxLength(2048)
  avatarUrl?: string | null;
}
