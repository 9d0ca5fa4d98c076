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
  @ApiOperation({ summary: 'Create an account; a confirmation link is mailed. The answer is the same for an address already registered.' })
  @ApiAcceptedResponse({ type: AcceptedMessageDto })
  @ApiProblems(400)
  async register(@Body() body: RegisterDto, @CurrentRequest() request: RequestMeta): Promise<AcceptedMessageDto> {
    await this.registration.register(body.email, body.password, request);
    return { message: 'Check your inbox to confirm your email address.' };
  }

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with email and password. With MFA on, the answer is a challenge for POST /auth/mfa/verify.' })
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
  @ApiOperation({ summary: 'End the session of a refresh token (body, or the cookie in cookie mode)' })
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
