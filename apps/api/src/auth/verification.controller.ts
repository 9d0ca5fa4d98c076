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
  @ApiOperation({ summary: 'Confirm the email address with the token from the mailed link' })
  @ApiNoContentResponse()
  async verifyEmail(@Body() body: TokenDto, @CurrentRequest() request: RequestMeta): Promise<void> {
    await this.registration.verifyEmail(body.token, request);
  }

  @Post('verify-email/resend')
  @HttpCode(202)
  @ApiOperation({ summary: 'Mail a new confirmation link (same answer whether or not the address is registered)' })
  @ApiAcceptedResponse({ type: AcceptedMessageDto })
  async resend(@Body() body: EmailDto, @CurrentRequest() request: RequestMeta): Promise<AcceptedMessageDto> {
    await this.registration.resendVerification(body.email, request);
    return SENT;
  }

  @Post('password/forgot')
  @HttpCode(202)
  @ApiOperation({ summary: 'Mail a password-reset link (same answer whether or not the address is registered)' })
  @ApiAcceptedResponse({ type: AcceptedMessageDto })
  async forgot(@Body() body: EmailDto, @CurrentRequest() request: RequestMeta): Promise<AcceptedMessageDto> {
    await this.registration.forgotPassword(body.email, request);
    return SENT;
  }

  @Post('password/reset')
  @HttpCode(204)
  @ApiOperation({ summary: 'Set a new password with the token from the mailed link; ends every session' })
  @ApiNoContentResponse()
  async reset(@Body() body: ResetPasswordDto, @CurrentRequest() request: RequestMeta): Promise<void> {
    await this.registration.resetPassword(body.token, body.password, request);
  }
}
