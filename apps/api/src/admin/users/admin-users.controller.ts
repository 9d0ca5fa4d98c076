import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import { CurrentPrincipal, CurrentRequest, type Principal, type RequestMeta } from '@backlot/security';
import { UserModerationService } from '../../users/user-moderation.service';
import { AdminAction, AdminController } from '../admin-controller.decorator';
import { AdminUserLookupService } from './admin-user-lookup.service';
import { AdminSessionDto } from './dto/admin-session.dto';
import {
  AdminUserDetailDto,
  AdminUserDto,
  AdminUserListQuery,
  AdminUserPageDto,
  ChangeRoleDto,
  UserIdParam,
} from '../../users/dto/admin-user.dto';

@AdminController('users')
export class AdminUsersController {
  constructor(
    private readonly lookup: AdminUserLookupService,
    private readonly users: UserModerationService,
  ) {}

  @Get()
  @AdminAction('users.list')
  @ApiOperation({
    summary: 'Search and filter users, newest first',
    description:
      'Admins only; audited as `admin.users.list`, with the query. `q` matches part of the email or display name in any case (`%` and ' +
      '`_` literally); filters `role`, `disabled`, `verified`, `mfa` and `createdFrom`/`createdTo` (inclusive; 400 when `createdFrom` ' +
      'is later). Cursor pages; `count=true` adds `total`.',
  })
  @ApiOkResponse({ type: AdminUserPageDto })
  @ApiProblems(400)
  list(@Query() query: AdminUserListQuery): Promise<AdminUserPageDto> {
    return this.lookup.list(query);
  }

  @Get(':id')
  @AdminAction('users.view')
  @ApiOperation({
    summary: 'One user, with role, access state, MFA, live sessions and last sign-in',
    description:
      'Admins only; audited as `admin.users.view`. `activeSessions` counts sessions neither revoked nor expired; `lastSignInAt` is the ' +
      'latest `auth.session.created` audit event, null when the audit log holds none. 404 for an unknown id.',
  })
  @ApiOkResponse({ type: AdminUserDetailDto })
  @ApiProblems(400, 404)
  view(@Param() { id }: UserIdParam): Promise<AdminUserDetailDto> {
    return this.lookup.detail(id);
  }

  @Get(':id/sessions')
  @AdminAction('users.sessions')
  @ApiOperation({
    summary: 'The user’s live sessions (devices), most recently used first',
    description:
      'Admins only; audited as `admin.users.sessions`. Sessions neither revoked nor expired, with device, user agent, address and ' +
      'times; never a token or its hash. End them all with `POST /admin/users/{id}/logout`. 404 for an unknown id.',
  })
  @ApiOkResponse({ type: [AdminSessionDto] })
  @ApiProblems(400, 404)
  sessions(@Param() { id }: UserIdParam): Promise<AdminSessionDto[]> {
    return this.lookup.liveSessions(id);
  }

  @Patch(':id/role')
  @AdminAction('users.role')
  @ApiOperation({
    summary: 'Change the role; 409 for your own account or the last enabled admin',
    description:
      'Admins only; audited as `admin.users.role`, and as `user.role-changed` when the role changes. Asking for the role the user ' +
      'already has changes nothing and answers 200, even for your own account. 404 for an unknown id.',
  })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiProblems(400, 404, 409)
  async setRole(
    @Param() { id }: UserIdParam,
    @Body() body: ChangeRoleDto,
    @CurrentPrincipal() admin: Principal,
    @CurrentRequest() request: RequestMeta,
  ): Promise<AdminUserDto> {
    return AdminUserDto.of(await this.users.setRole(admin, id, body.role, request));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @AdminAction('users.disable')
  @ApiOperation({
    summary: 'Disable the account: its sessions end at once and it cannot sign in',
    description:
      'Admins only; audited as `admin.users.disable`, and as `user.disabled`. Tokens already handed out fail on their next request, ' +
      'pending password-reset and email-change links are revoked and the owner’s API keys stop working; an account already disabled is ' +
      'returned unchanged. 409 for your own account or the last enabled admin; 404 for an unknown id.',
  })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiProblems(400, 404, 409)
  async disable(
    @Param() { id }: UserIdParam,
    @CurrentPrincipal() admin: Principal,
    @CurrentRequest() request: RequestMeta,
  ): Promise<AdminUserDto> {
    return AdminUserDto.of(await this.users.disable(admin, id, request));
  }

  @Post(':id/enable')
  @HttpCode(200)
  @AdminAction('users.enable')
  @ApiOperation({
    summary: 'Enable a disabled account again',
    description:
      'Admins only; audited as `admin.users.enable`, and as `user.enabled`. Sessions ended by disabling stay ended, so the user signs ' +
      'in again; an account that is not disabled is returned unchanged. 404 for an unknown id.',
  })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiProblems(400, 404)
  async enable(
    @Param() { id }: UserIdParam,
    @CurrentPrincipal() admin: Principal,
    @CurrentRequest() request: RequestMeta,
  ): Promise<AdminUserDto> {
    return AdminUserDto.of(await this.users.enable(admin, id, request));
  }

  @Post(':id/logout')
  @HttpCode(204)
  @AdminAction('users.logout')
  @ApiOperation({
    summary: 'End every session of the user (force logout)',
    description:
      'Admins only; audited as `admin.users.logout`, and as `user.sessions-revoked`. Pending password-reset, email-change and ' +
      'MFA-challenge tokens are revoked too, but the user’s API keys keep working and the account stays enabled; on your own account ' +
      'this ends your session as well. 404 for an unknown id.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  async logout(@Param() { id }: UserIdParam, @CurrentPrincipal() admin: Principal, @CurrentRequest() request: RequestMeta): Promise<void> {
    await this.users.logout(admin, id, request);
  }

  @Delete(':id/mfa')
  @HttpCode(204)
  @AdminAction('users.mfa-reset')
  @ApiOperation({
    summary: 'Reset MFA: secret and recovery codes removed; sessions stay; the next sign-in asks for no code',
    description:
      'Admins only; audited as `admin.users.mfa-reset`, and as `user.mfa-reset` (noting whether MFA was on). An MFA setup not yet ' +
      'confirmed is dropped too, and a user without MFA gets 204 all the same. 404 for an unknown id.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  async resetMfa(
    @Param() { id }: UserIdParam,
    @CurrentPrincipal() admin: Principal,
    @CurrentRequest() request: RequestMeta,
  ): Promise<void> {
    await this.users.resetMfa(admin, id, request);
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminAction('users.delete')
  @ApiOperation({
    summary: 'Delete the account and its data, as self-deletion does; 409 for your own account or the last enabled admin',
    description:
      'Admins only; audited as `admin.users.delete`, and as `user.deleted`. The account is disabled first, then its sessions and API ' +
      'keys are revoked and its data removed; its audit events stay, without IP address or user agent. 404 for an unknown id; delete ' +
      'your own account with `DELETE /users/me`.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  async delete(@Param() { id }: UserIdParam, @CurrentPrincipal() admin: Principal, @CurrentRequest() request: RequestMeta): Promise<void> {
    await this.users.delete(admin, id, request);
  }
}
