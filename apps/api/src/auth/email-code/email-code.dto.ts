import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsOptional, IsString, Matches, MaxLength, ValidateBy, ValidateIf } from 'class-validator';

/** Without the link's token, the address and the code are required. */
const withoutToken = (body: EmailCodeVerifyDto) => body.token === undefined;

/** Either `{ email, code }` or `{ token }`, each with `cookie` if wanted. */
export class EmailCodeVerifyDto {
  @ApiPropertyOptional({
    format: 'email',
    maxLength: 254,
    example: 'ada@example.com',
    description: 'The address the code was mailed to, with `code`. Leave it out with `token`.',
  })
  @ValidateIf(withoutToken)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ description: 'The 6-digit code from the mail, with `email`', pattern: '^\\d{6}$', example: '123456' })
  @ValidateIf(withoutToken)
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code?: string;

  @ApiPropertyOptional({
    description: 'The token of the mailed link, instead of `email` and `code`',
    minLength: 43,
    maxLength: 43,
    example: 'UNhY4JhezH9gQYqvDMWrWH9CwlcKiECVqejMrND2VFw',
  })
  @ValidateIf((body: EmailCodeVerifyDto) => body.token !== undefined)
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'token is malformed' })
  @ValidateBy({
    name: 'sentAlone',
    validator: {
      validate: (_token, args) => {
        const body = args?.object as EmailCodeVerifyDto;
        return body.email === undefined && body.code === undefined;
      },
      defaultMessage: () => 'token is sent instead of email and code, not with them',
    },
  })
  token?: string;

  @ApiPropertyOptional({ description: 'SPA cookie mode, as for login', default: false })
  @IsOptional()
  @IsBoolean()
  cookie?: boolean;
}
