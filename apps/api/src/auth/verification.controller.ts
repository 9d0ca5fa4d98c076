import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import { CredentialRateLimit, CurrentRequest, Public, type RequestMeta, TokenDto } from '@backlot/security';
import { AcceptedMessageDto, EmailDto, ResetPasswordDto } from './dto/credentials.dto';
import { RegistrationService } from './registration.service';

const SENT = { message: 'If the address has an account, a message is on its way.' };

/** The routes behind the mailed links: email verification and password reset. */
@ApiTags('auth')
@Controller('auth')
@Public()
@CredentialRateLimit()
@ApiProblems(400, 429)
export class VerificationController {
  constructor(private readonly registration: RegistrationService) {}

  @Post('verify-email')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Confirm the email address with the token from the mailed link',
    description:
      'Public: the token is the credential, usable once. 400 when it is invalid, expired or already used; success is audited ' +
      'as `auth.email.verified`.',
  })
  @ApiNoContentResponse()
  async verifyEmail(@Body() body: TokenDto, @CurrentRequest() request: RequestMeta): Promise<void> {
    await this.registration.verifyEmail(body.token, request);
  }

  @Post('verify-email/resend')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Mail a new confirmation link (same answer whether or not the address is registered)',
    description:
      'Public, under the per-IP limit for credential routes. A job mails the new link (valid `EMAIL_VERIFICATION_TTL_HOURS`, ' +
      '24 by default) after the answer, and only to an account whose address is not yet confirmed; past the per-inbox limit ' +
      '(`MAIL_RECIPIENT_LIMIT`) nothing is sent.',
  })
  @ApiAcceptedResponse({ type: AcceptedMessageDto })
  async resend(@Body() body: EmailDto, @CurrentRequest() request: RequestMeta): Promise<AcceptedMessageDto> {
    await this.registration.resendVerification(body.email, request);
    return SENT;
  }

  @Post('password/forgot')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Mail a password-reset link (same answer whether or not the address is registered)',
    description:
      'Public, under the per-IP limit for credential routes. A job mails the link (valid `PASSWORD_RESET_TTL_MINUTES`, 30 by ' +
      'default) after the answer, only to an existing, enabled account, and audits `auth.password.reset-requested`; past the ' +
      'per-inbox limit (`MAIL_RECIPIENT_LIMIT`) nothing is sent.',
  })
  @ApiAcceptedResponse({ type: AcceptedMessageDto })
  async forgot(@Body() body: EmailDto, @CurrentRequest() request: RequestMeta): Promise<AcceptedMessageDto> {
    await this.registration.forgotPassword(body.email, request);
    return SENT;
  }

  @Post('password/reset')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Set a new password with the token from the mailed link; ends every session',
    description:
      'Public: the token is the credential, usable once. 400 when it is invalid, expired or already used, or the password ' +
      'breaks the policy. The address counts as confirmed, the sign-in lockout is cleared, pending email-change links and ' +
      'MFA challenges are cancelled and `auth.password.reset` is audited; MFA stays on and API keys keep working.',
  })
  @ApiNoContentResponse()
  async reset(@Body() body: ResetPasswordDto, @CurrentRequest() request: RequestMeta): Promise<void> {
    await this.registration.resetPassword(body.token, body.password, request);
  }
}
