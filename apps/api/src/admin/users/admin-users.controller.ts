import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import { CurrentPrincipal, CurrentRequest, type Principal, type RequestMeta } from '@backlot/security';
import { UserModerationService } from '../../users/user-moderation.service';
import { AdminAction, AdminController } from '../admin-controller.decorator';
import { AdminUserLookupService } from './admin-user-lookup.service';
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
  @ApiOperation({ summary: 'Search and filter users, newest first' })
  @ApiOkResponse({ type: AdminUserPageDto })
  @ApiProblems(400)
  list(@Query() query: AdminUserListQuery): Promise<AdminUserPageDto> {
    return this.lookup.list(query);
  }

  @Get(':id')
  @AdminAction('users.view')
  @ApiOperation({ summary: 'One user, with role, access state, MFA, live sessions and last sign-in' })
  @ApiOkResponse({ type: AdminUserDetailDto })
  @ApiProblems(400, 404)
  view(@Param() { id }: UserIdParam): Promise<AdminUserDetailDto> {
    return this.lookup.detail(id);
  }

  @Patch(':id/role')
  @AdminAction('users.role')
  @ApiOperation({ summary: 'Change the role; 409 for your own account or the last enabled admin' })
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
  @ApiOperation({ summary: 'Disable the account: its sessions end at once and it cannot sign in' })
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
  @ApiOperation({ summary: 'Enable a disabled account again' })
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
  @ApiOperation({ summary: 'End every session of the user (force logout)' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  async logout(@Param() { id }: UserIdParam, @CurrentPrincipal() admin: Principal, @CurrentRequest() request: RequestMeta): Promise<void> {
    await this.users.logout(admin, id, request);
  }

  @Delete(':id/mfa')
  @HttpCode(204)
  @AdminAction('users.mfa-reset')
  @ApiOperation({ summary: 'Reset MFA: secret and recovery codes removed; sessions stay; the next sign-in asks for no code' })
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
  @ApiOperation({ summary: 'Delete the account and its data, as self-deletion does; 409 for your own account or the last enabled admin' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  async delete(@Param() { id }: UserIdParam, @CurrentPrincipal() admin: Principal, @CurrentRequest() request: RequestMeta): Promise<void> {
    await this.users.delete(admin, id, request);
  }
}
