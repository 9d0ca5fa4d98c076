import { Body, Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import {
  ApiKeyScope,
  Authenticated,
  CurrentPrincipal,
  CurrentRequest,
  type Principal,
  Public,
  RateLimit,
  type RequestMeta,
  TokenDto,
} from '@backlot/security';
import { AccountService } from './account.service';
import { AcceptedDto, ChangeEmailDto, ChangePasswordDto, ReauthenticateDto } from './dto/account.dto';

import { UpdateProfileDto } from './dto/update-profile.dto';
import { UserDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly account: AccountService,
  ) {}

  @Get('me')
  @ApiKeyScope('profile:read')
  @ApiOperation({
    summary: 'The signed-in user’s profile',
    description:
      'For an access token, or an API key with the `profile:read` scope (403 without it). The answer includes the role and ' +
      'whether the address is verified and MFA is on.',
  })
  @ApiOkResponse({ type: UserDto })
  async me(@CurrentPrincipal() principal: Principal): Promise<UserDto> {
    return UserDto.from(await this.users.profile(principal.userId));
  }

  @Patch('me')
  @ApiKeyScope('profile:write')
  @ApiOperation({
    summary: 'Change profile fields (null clears one)',
    description:
      'For an access token, or an API key with the `profile:write` scope (403 without it). Fields left out stay as they are; ' +
      'unknown fields, a non-https `avatarUrl` or an unknown `timezone` are refused with 400. The time zone is stored in its ' +
      'canonical spelling (`utc` becomes `UTC`).',
  })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(400)
  async update(@CurrentPrincipal() principal: Principal, @Body() body: UpdateProfileDto): Promise<UserDto> {
    return UserDto.from(await this.users.updateProfile(principal.userId, body));
  }

  @Post('me/password')
  @HttpCode(204)
  @Authenticated()
  @RateLimit(10, 60)
  @ApiOperation({
    summary: 'Change the password (needs the current one); ends every other session',
    description:
      'Access token only (API keys get 403). A wrong current password is 400 and is audited as a failed ' +
      '`user.password.change`. The calling session stays signed in; pending email-change and password-reset links and MFA ' +
      'login challenges are cancelled, while API keys keep working.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 429)
  async changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ChangePasswordDto,
    @CurrentRequest() request: RequestMeta,
  ): Promise<void> {
    await this.account.changePassword(principal, body.currentPassword, body.newPassword, request);
  }

  @Post('me/email')
  @HttpCode(202)
  @Authenticated()
  @RateLimit(10, 60)
  @ApiOperation({
    summary: 'Ask to change the email address; takes effect when the link mailed to the new address is followed',
    description:
      'Access token only (API keys get 403). 400 when the password is wrong or the address is already the account’s; ' +
      'otherwise 202 whether or not the new address is free, and a taken address gets no mail. The link is valid for ' +
      '`EMAIL_VERIFICATION_TTL_HOURS` (24 by default), and a password change cancels the request.',
  })
  @ApiAcceptedResponse({ type: AcceptedDto })
  @ApiProblems(400, 429)
  async changeEmail(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ChangeEmailDto,
    @CurrentRequest() request: RequestMeta,
  ): Promise<AcceptedDto> {
    await this.account.requestEmailChange(principal.userId, body.newEmail, body.password, request);
    return { message: 'If the address can be used, a confirmation link was sent to it.' };
  }

  @Post('email-change/confirm')
  @HttpCode(204)
  @Public()
  @RateLimit(20, 60)
  @ApiOperation({
    summary: 'Confirm an email change with the token from the mailed link',
    description:
      'Public: the token is the credential, usable once. 400 when it is invalid, expired or already used, or when another ' +
      'account took the address meanwhile. The new address counts as verified, the old one is mailed a notice, and reset and ' +
      'verification links sent earlier stop working.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 429)
  async confirmEmailChange(@Body() body: TokenDto, @CurrentRequest() request: RequestMeta): Promise<void> {
    await this.account.confirmEmailChange(body.token, request);
  }

  @Get('me/export')
  @Authenticated()
  @RateLimit(5, 60)
  @ApiOperation({
    summary: 'Everything stored about the signed-in user, as JSON',
    description:
      'Access token only (API keys get 403), at most 5 calls a minute. Holds the profile, MFA state (with the number of ' +
      'unused recovery codes), sessions and API keys (ended and revoked ones included, never a key itself) and the latest ' +
      '1,000 audit events the user caused, with IP address and user agent.',
  })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true } })
  @ApiProblems(429)
  export(@CurrentPrincipal() principal: Principal): Promise<Record<string, unknown>> {
    return this.account.export(principal.userId);
  }

  @Delete('me')
  @HttpCode(204)
  @Authenticated()
  @RateLimit(5, 60)
  @ApiOperation({
    summary: 'Delete the account (password, and an MFA code when enabled, required)',
    description:
      'Access token only (API keys get 403). A wrong password or MFA code is 401 (not 400); 409 when this is the last ' +
      'enabled admin account. Sessions and API keys are revoked at once, every module removes or anonymises what it holds ' +
      'for the user (`user.deleted`), and the user’s audit events are kept without IP address or user agent.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 409, 429)
  async delete(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ReauthenticateDto,
    @CurrentRequest() request: RequestMeta,
  ): Promise<void> {
    await this.account.delete(principal.userId, body.password, body.code, request);
  }
}
