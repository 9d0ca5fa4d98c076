import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import { CredentialRateLimit, CurrentRequest, Public, type RequestMeta } from '@backlot/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AcceptedMessageDto, EmailDto, MfaChallengeDto, TokensDto } from '../dto/credentials.dto';
import { CSRF_HEADER, RefreshCookie } from '../refresh-cookie';
import { TokenResponse } from '../token-response';
import { EmailCodeVerifyDto } from './email-code.dto';
import { EmailCodeService } from './email-code.service';
import { EmailCodesEnabled } from './email-codes-enabled.guard';

const SENT = { message: 'If the address has an account, a message is on its way.' };

/** Passwordless sign-in: a one-time code and link by mail. */
@ApiTags('auth')
@Controller('auth/otp')
@Public()
@CredentialRateLimit()
@UseGuards(EmailCodesEnabled)
@ApiProblems(400, 404, 429)
export class EmailCodeController {
  constructor(
    private readonly emailCodes: EmailCodeService,
    private readonly cookie: RefreshCookie,
    private readonly tokens: TokenResponse,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Mail a one-time sign-in code and link (same answer whether or not the address has an account)',
    description:
      'Public, under the per-IP limit for credential routes; 404 when `AUTH_EMAIL_CODES` is off. A job mails a 6-digit code ' +
      'and a link (`APP_URL/email-sign-in?token=…`), both valid once within `EMAIL_CODE_TTL_MINUTES` (10 by default), after ' +
      'the answer and only to an existing, enabled account; a new code voids the ones mailed before. Past the per-inbox ' +
      'limit (`MAIL_RECIPIENT_LIMIT`) nothing is sent. Audited as `auth.email-code.requested` (the address only as a hash).',
  })
  @ApiAcceptedResponse({ type: AcceptedMessageDto })
  async request(@Body() body: EmailDto, @CurrentRequest() request: RequestMeta): Promise<AcceptedMessageDto> {
    await this.emailCodes.requestCode(body.email, request);
    return SENT;
  }

  @Post('verify')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with the mailed code (`email` + `code`) or link (`token`); answers as POST /auth/login does',
    description:
      'Public; 404 when `AUTH_EMAIL_CODES` is off. Tokens, or the MFA challenge when MFA is on; cookie mode as for login. ' +
      'A wrong, expired or used code, or an address without an account, is 401 alike; five wrong codes burn the code, and ' +
      'wrong codes count towards the address’s sign-in lockout like wrong passwords (429 with `Retry-After`). A link token ' +
      'that is invalid, expired or used is 401; the link is not subject to the lockout. 403 for a disabled account, or ' +
      '`cookie: true` without `X-Backlot-CSRF: 1` and an allowed `Origin`. An account without a password counts as confirmed ' +
      'afterwards.',
  })
  @ApiHeader({ name: CSRF_HEADER, required: false, description: 'Must be `1` in cookie mode (CSRF defence)' })
  @ApiExtraModels(TokensDto, MfaChallengeDto)
  @ApiOkResponse({ schema: { oneOf: [{ $ref: getSchemaPath(TokensDto) }, { $ref: getSchemaPath(MfaChallengeDto) }] } })
  @ApiProblems(401, 403)
  async verify(
    @Body() body: EmailCodeVerifyDto,
    @CurrentRequest() request: RequestMeta,
    @Req() raw: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokensDto | MfaChallengeDto> {
    if (body.cookie) this.cookie.assertSameSiteRequest(raw);
    const result =
      body.token !== undefined
        ? await this.emailCodes.signInWithLink(body.token, request)
        : await this.emailCodes.signInWithCode(body.email!, body.code!, request);
    if (result.kind === 'mfa')
      return { mfaRequired: true, challengeToken: result.challengeToken, expiresAt: result.expiresAt.toISOString() };
    return this.tokens.send(result.tokens, body.cookie === true, reply);
  }
}
