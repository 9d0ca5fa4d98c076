import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { IdentityRow } from './identities.repository';

export class PublicProviderDto {
  @ApiProperty({ example: 'google', description: 'Used in the authorize URL: /auth/providers/{name}/authorize' }) name: string;
  @ApiProperty({ example: 'Google' }) displayName: string;
  @ApiProperty({ enum: ['oidc', 'google', 'microsoft', 'gitlab', 'github', 'discord'] }) preset: string;
}

/** base64url SHA-256 of a random verifier the SPA keeps (sessionStorage) until the exchange, as PKCE's S256. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export class AuthorizeQuery {
  @ApiProperty({
    description:
      'base64url(SHA-256(verifier)) of a random verifier (43–128 characters of A–Z a–z 0–9 . _ ~ -) the SPA keeps until it ' +
      'redeems the code: a code reaching another page (login CSRF) is useless without it.',
    minLength: 43,
    maxLength: 43,
  })
  @IsString()
  @Matches(CHALLENGE, { message: 'challenge must be the base64url SHA-256 of the verifier (43 characters)' })
  challenge: string;

  @ApiProperty({
    description: 'The SPA page to return to, on the OAUTH_REDIRECT_URLS allow-list (same origin and path; the query may differ).',
    maxLength: 2048,
    example: 'https://app.example.com/auth/callback',
  })
  @IsString()
  @MaxLength(2048)
  redirect: string;
}

export class LinkProviderDto extends AuthorizeQuery {
  @ApiProperty({ example: 'github', description: 'The provider to link, as listed by GET /auth/providers' })
  @IsString()
  @MaxLength(40)
  provider: string;
}

export class ConfirmLinkDto {
  @ApiProperty({ description: 'The `link_code` the SPA page received in its query', minLength: 43, maxLength: 43 })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'code is malformed' })
  code: string;

  @ApiProperty({ description: 'The verifier whose SHA-256 was the `challenge` of the link call', minLength: 43, maxLength: 128 })
  @IsString()
  @Matches(VERIFIER, { message: 'verifier must be 43–128 characters of A–Z a–z 0–9 . _ ~ -' })
  verifier: string;
}

export class ProviderUrlDto {
  @ApiProperty({ description: "Send the browser here (the provider's sign-in page).", format: 'uri' }) url: string;
}

export class ExchangeCodeDto {
  @ApiProperty({ description: 'The `code` the SPA page received in its query', minLength: 43, maxLength: 43 })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'code is malformed' })
  code: string;

  @ApiProperty({ description: 'The verifier whose SHA-256 was the `challenge` of the authorize call', minLength: 43, maxLength: 128 })
  @IsString()
  @Matches(VERIFIER, { message: 'verifier must be 43–128 characters of A–Z a–z 0–9 . _ ~ -' })
  verifier: string;

  @ApiPropertyOptional({
    description:
      'SPA cookie mode: the refresh token is set as an httpOnly cookie instead of being returned. Needs the X-Backlot-CSRF: 1 header and an allowed Origin.',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  cookie?: boolean;
}

export class IdentityDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'github' }) provider: string;
  @ApiProperty({ nullable: true, type: String, description: 'The address the provider gave at the last sign-in' }) email: string | null;
  @ApiProperty() emailVerified: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastSignInAt: string | null;

  static from(identity: IdentityRow): IdentityDto {
    return {
      id: identity.id,
      provider: identity.provider,
      email: identity.email,
      emailVerified: identity.emailVerified,
      createdAt: identity.createdAt.toISOString(),
      lastSignInAt: identity.lastSignInAt?.toISOString() ?? null,
    };
  }
}
