import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, BadRequest, Unauthenticated } from '@backlot/http';
import {
  AuditService,
  Authenticated,
  CredentialRateLimit,
  CurrentPrincipal,
  CurrentRequest,
  type Principal,
  Public,
  type RequestMeta,
} from '@backlot/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CredentialsService } from '../../users/credentials.service';
import { UsersService } from '../../users/users.service';
import { TokensDto } from '../dto/credentials.dto';
import { MfaCodeDto, MfaDisableDto, MfaSetupDto, MfaVerifyDto, RecoveryCodesDto } from '../dto/mfa.dto';
import { LoginService } from '../login.service';
import { CSRF_HEADER, RefreshCookie } from '../refresh-cookie';
import { TokenResponse } from '../token-response';

/** TOTP MFA (RFC 6238): set up, enable, disable, recovery codes, and completing a login challenge. */
@ApiTags('auth')
@Controller('auth/mfa')
@CredentialRateLimit()
@ApiProblems(400, 429)
export class MfaController {
  constructor(
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
    private readonly login: LoginService,
    private readonly audit: AuditService,
    private readonly cookie: RefreshCookie,
    private readonly tokens: TokenResponse,
  ) {}

  @Post('setup')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({
    summary: 'Start MFA setup: a new secret and otpauth URI (not active until enabled with a code)',
    description:
      'Access token only (API keys get 403). 409 when MFA is already on; calling it again before enabling replaces the ' +
      'pending secret.',
  })
  @ApiOkResponse({ type: MfaSetupDto })
  @ApiProblems(409)
  async setup(@CurrentPrincipal() principal: Principal): Promise<MfaSetupDto> {
    return this.credentials.startMfaSetup(await this.users.get(principal.userId));
  }

  @Post('enable')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({
    summary: 'Turn MFA on with a code from the new authenticator; returns ten one-time recovery codes',
    description:
      'Access token only (API keys get 403). 409 when MFA is already on or setup was not started, 400 when the code does not ' +
      'match the pending secret. The recovery codes are shown only in this answer; `auth.mfa.enabled` is audited and ' +
      'existing sessions stay signed in.',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblems(409)
  async enable(
    @CurrentPrincipal() principal: Principal,
    @Body() body: MfaCodeDto,
    @CurrentRequest() request: RequestMeta,
  ): Promise<RecoveryCodesDto> {
    const recoveryCodes = await this.credentials.enableMfa(await this.users.get(principal.userId), body.code);
    await this.audit.record({ action: 'auth.mfa.enabled', outcome: 'success', actor: { type: 'user', id: principal.userId }, request });
    return { recoveryCodes };
  }

  @Post('disable')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({
    summary: 'Turn MFA off, proven with a current code, a recovery code or the password',
    description:
      'Access token only (API keys get 403). Send `code` (a 6-digit or recovery code, spent on use) or `password`: 400 when ' +
      'MFA is off or neither is sent, 401 when the proof is wrong. The secret and recovery codes are deleted; both outcomes ' +
      'are audited as `auth.mfa.disabled`.',
  })
  @ApiNoContentResponse()
  @ApiProblems(401)
  async disable(
    @CurrentPrincipal() principal: Principal,
    @Body() body: MfaDisableDto,
    @CurrentRequest() request: RequestMeta,
  ): Promise<void> {
    const user = await this.users.get(principal.userId);
    if (!user.mfaEnabledAt) throw new BadRequest('MFA is not enabled.');
    if (!body.code && !body.password) throw new BadRequest('Send a code or the password.');
    const proven = body.code
      ? (await this.credentials.secondFactorMatches(user, body.code)) !== null
      : await this.credentials.passwordMatches(user, body.password!);
    if (!proven) {
      await this.audit.record({ action: 'auth.mfa.disabled', outcome: 'failure', actor: { type: 'user', id: user.id }, request });
      throw new Unauthenticated(body.code ? 'The code is wrong or already used.' : 'The password is wrong.');
    }
    await this.credentials.disableMfa(user.id);
    await this.audit.record({ action: 'auth.mfa.disabled', outcome: 'success', actor: { type: 'user', id: user.id }, request });
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({
    summary: 'Replace the recovery codes (needs a current code); the old ones stop working',
    description:
      'Access token only (API keys get 403). Takes a 6-digit authenticator code, not a recovery code: 400 when MFA is off, ' +
      '401 when the code is wrong or already used. The ten new codes are shown only in this answer; audited as ' +
      '`auth.mfa.recovery-codes-replaced`.',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblems(401)
  async regenerate(
    @CurrentPrincipal() principal: Principal,
    @Body() body: MfaCodeDto,
    @CurrentRequest() request: RequestMeta,
  ): Promise<RecoveryCodesDto> {
    const user = await this.users.get(principal.userId);
    if (!user.mfaEnabledAt) throw new BadRequest('MFA is not enabled.');
    if ((await this.credentials.secondFactorMatches(user, body.code)) !== 'totp')
      throw new Unauthenticated('The code is wrong or already used.');
    const recoveryCodes = await this.credentials.regenerateRecoveryCodes(user.id);
    await this.audit.record({
      action: 'auth.mfa.recovery-codes-replaced',
      outcome: 'success',
      actor: { type: 'user', id: user.id },
      request,
    });
    return { recoveryCodes };
  }

  @Post('verify')
  @HttpCode(200)
  @Public()
  @ApiOperation({
    summary: 'Complete a login challenge with a TOTP code or a recovery code',
    description:
      'Public: the challenge token from POST /auth/login is the credential, valid `MFA_CHALLENGE_TTL_SECONDS` (300 by ' +
      'default). 401 when the challenge is invalid or expired or the code is wrong or already used; the fifth wrong code ' +
      'burns the challenge. `cookie: true` works as for login (403 without `X-Backlot-CSRF: 1` and an allowed `Origin`).',
  })
  @ApiHeader({ name: CSRF_HEADER, required: false, description: 'Must be `1` in cookie mode' })
  @ApiOkResponse({ type: TokensDto })
  @ApiProblems(401, 403)
  async verify(
    @Body() body: MfaVerifyDto,
    @CurrentRequest() request: RequestMeta,
    @Req() raw: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokensDto> {
    if (body.cookie) this.cookie.assertSameSiteRequest(raw);
    return this.tokens.send(await this.login.completeMfa(body.challengeToken, body.code, request), body.cookie === true, reply);
  }
}
