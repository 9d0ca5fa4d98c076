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
  @ApiOperation({ summary: 'The signed-in user’s profile' })
  @ApiOkResponse({ type: UserDto })
  async me(@CurrentPrincipal() principal: Principal): Promise<UserDto> {
    return UserDto.from(await this.users.profile(principal.userId));
  }

  @Patch('me')
  @ApiKeyScope('profile:write')
  @ApiOperation({ summary: 'Change profile fields (null clears one)' })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(400)
  async update(@CurrentPrincipal() principal: Principal, @Body() body: UpdateProfileDto): Promise<UserDto> {
    return UserDto.from(await this.users.updateProfile(principal.userId, body));
  }

  @Post('me/password')
  @HttpCode(204)
  @Authenticated()
  @RateLimit(10, 60)
  @ApiOperation({ summary: 'Change the password (needs the current one); ends every other session' })
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
  @ApiOperation({ summary: 'Ask to change the email address; takes effect when the link mailed to the new address is followed' })
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
  @ApiOperation({ summary: 'Confirm an email change with the token from the mailed link' })
  @ApiNoContentResponse()
  @ApiProblems(400, 429)
  async confirmEmailChange(@Body() body: TokenDto, @CurrentRequest() request: RequestMeta): Promise<void> {
    await this.account.confirmEmailChange(body.token, request);
  }

  @Get('me/export')
  @Authenticated()
  @RateLimit(5, 60)
  @ApiOperation({ summary: 'Everything stored about the signed-in user, as JSON' })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true } })
  @ApiProblems(429)
  export(@CurrentPrincipal() principal: Principal): Promise<Record<string, unknown>> {
    return this.account.export(principal.userId);
  }

  @Delete('me')
  @HttpCode(204)
  @Authenticated()
  @RateLimit(5, 60)
  @ApiOperation({ summary: 'Delete the account (password, and an MFA code when enabled, required)' })
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
