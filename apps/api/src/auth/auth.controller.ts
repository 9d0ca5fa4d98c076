import { applyDecorators, Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiExtraModels,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiProblems, Unauthenticated } from '@backlot/http';
import { CredentialRateLimit, CurrentRequest, Public, type RequestMeta } from '@backlot/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AcceptedMessageDto, LoginDto, MfaChallengeDto, RefreshDto, RegisterDto, TokensDto } from './dto/credentials.dto';
import { LoginService } from './login.service';
import { CSRF_HEADER, REFRESH_COOKIE_SCHEME, RefreshCookie } from './refresh-cookie';
import { RegistrationService } from './registration.service';
import { SessionsService } from './sessions/sessions.service';
import { TokenResponse } from './token-response';

const CSRF_HEADER_DOC = { name: CSRF_HEADER, required: false, description: 'Must be `1` in cookie mode (CSRF defence)' };

/** Body mode needs no credentials beyond the body; cookie mode sends the refresh cookie. */
function BodyOrCookie(): MethodDecorator {
  return applyDecorators(ApiSecurity({}), ApiSecurity(REFRESH_COOKIE_SCHEME));
}

@ApiTags('auth')
@Controller('auth')
@Public()
@CredentialRateLimit()
@ApiProblems(429)
export class AuthController {
  constructor(
    private readonly registration: RegistrationService,
    private readonly login: LoginService,
    private readonly sessions: SessionsService,
    private readonly cookie: RefreshCookie,
    private readonly tokens: TokenResponse,
  ) {}

  @Post('register')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Create an account; a confirmation link is mailed. The answer is the same for an address already registered.',
    description:
      'Public, under the per-IP limit for credential routes; 400 when the password breaks the policy. The owner of an ' +
      'already-registered address is mailed a notice with a reset link instead. With `AUTH_REQUIRE_EMAIL_VERIFICATION` on ' +
      '(the default), a job creates the account just after the answer; with it off, the account exists before the answer.',
  })
  @ApiAcceptedResponse({ type: AcceptedMessageDto })
  @ApiProblems(400)
  async register(@Body() body: RegisterDto, @CurrentRequest() request: RequestMeta): Promise<AcceptedMessageDto> {
    await this.registration.register(body.email, body.password, request);
    return { message: 'Check your inbox to confirm your email address.' };
  }

  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with email and password. With MFA on, the answer is a challenge for POST /auth/mfa/verify.',
    description:
      'Public. A wrong email or password is 401 either way; `LOGIN_MAX_FAILURES` (5) failures within `LOGIN_LOCKOUT_SECONDS` ' +
      '(15 min) lock the address for as long, with 429 and `Retry-After` even for the right password. 403 for a disabled ' +
      'account, an unconfirmed address (when verification is required), or `cookie: true` without `X-Backlot-CSRF: 1` and an ' +
      'allowed `Origin`; in cookie mode the refresh token is set as an httpOnly cookie instead of being returned.',
  })
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiExtraModels(TokensDto, MfaChallengeDto)
  @ApiOkResponse({ schema: { oneOf: [{ $ref: getSchemaPath(TokensDto) }, { $ref: getSchemaPath(MfaChallengeDto) }] } })
  @ApiProblems(400, 401, 403)
  async signIn(
    @Body() body: LoginDto,
    @CurrentRequest() request: RequestMeta,
    @Req() raw: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokensDto | MfaChallengeDto> {
    if (body.cookie) this.cookie.assertSameSiteRequest(raw);
    const result = await this.login.login(body.email, body.password, request);
    if (result.kind === 'mfa')
      return { mfaRequired: true, challengeToken: result.challengeToken, expiresAt: result.expiresAt.toISOString() };
    return this.tokens.send(result.tokens, body.cookie === true, reply);
  }

  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Trade a refresh token for new tokens. The old refresh token is spent; using it again ends the session (reuse detection).',
    description:
      'Public: the refresh token is the credential. Body mode sends `refreshToken`; cookie mode leaves it out, uses the ' +
      '`backlot_refresh` cookie (403 without `X-Backlot-CSRF: 1` and an allowed `Origin`) and sets the new token as the ' +
      'cookie. 401 when the token is missing, invalid, expired or revoked, or the account is disabled; a spent token sent ' +
      'again within `REFRESH_REUSE_GRACE_SECONDS` from the same user agent gets the same new token while that one is unused, ' +
      'and refreshing never extends the session.',
  })
  @ApiHeader(CSRF_HEADER_DOC)
  @BodyOrCookie()
  @ApiOkResponse({ type: TokensDto })
  @ApiProblems(400, 401, 403)
  async refresh(
    @Body() body: RefreshDto,
    @CurrentRequest() request: RequestMeta,
    @Req() raw: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokensDto> {
    const cookieMode = body.refreshToken === undefined;
    const token = cookieMode ? this.cookieToken(raw) : body.refreshToken!;
    return this.tokens.send(await this.sessions.refresh(token, request), cookieMode, reply);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({
    summary: 'End the session of a refresh token (body, or the cookie in cookie mode)',
    description:
      'Public: the refresh token is the credential. An unknown or already revoked token is answered with 204 too; otherwise ' +
      'the session’s access tokens stop working at once and `auth.logout` is audited. In cookie mode the cookie is cleared; ' +
      '401 when there is no cookie, 403 without `X-Backlot-CSRF: 1` and an allowed `Origin`.',
  })
  @ApiHeader(CSRF_HEADER_DOC)
  @BodyOrCookie()
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 403)
  async logout(
    @Body() body: RefreshDto,
    @CurrentRequest() request: RequestMeta,
    @Req() raw: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    if (body.refreshToken !== undefined) return this.sessions.revokeByRefreshToken(body.refreshToken, request);
    const token = this.cookieToken(raw);
    this.cookie.clear(reply);
    await this.sessions.revokeByRefreshToken(token, request);
  }

  private cookieToken(raw: FastifyRequest): string {
    this.cookie.assertSameSiteRequest(raw);
    const token = this.cookie.read(raw);
    if (!token) throw new Unauthenticated('No refresh token: send it in the body, or sign in with cookie mode.');
    return token;
  }
}
