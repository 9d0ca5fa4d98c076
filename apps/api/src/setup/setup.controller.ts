import { applyDecorators, Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import { CredentialRateLimit, CurrentRequest, Public, type RequestMeta } from '@backlot/security';
import { UserDto } from '../users/dto/user.dto';
import { toProfile } from '../users/users.repository';
import { FirstAdminDto, LocalAdminDto, LocalAdminResultDto, SetupStatusDto } from './dto/setup.dto';
import { LOCAL_SECRET_HEADER, LocalCliGuard } from './local-cli-access';
import { SetupService } from './setup.service';

/** For the CLI on the server's machine only: the secret of DATA_DIR/server.json, no proxy, no other machine. */
function LocalCliOnly(): MethodDecorator {
  return applyDecorators(
    Public(),
    UseGuards(LocalCliGuard),
    ApiHeader({ name: LOCAL_SECRET_HEADER, required: true, description: 'The secret the server wrote into DATA_DIR/server.json at start' }),
    ApiProblems(403),
  );
}

@ApiTags('setup')
@Controller('setup')
@ApiProblems(429)
export class SetupController {
  constructor(private readonly setup: SetupService) {}

  @Get()
  @Public()
  @ApiOperation({
    summary: 'Whether the first admin is still to be created (a console shows its first-run screen then)',
    description:
      'Public, no credentials needed. `open` turns false as soon as any account has the admin role, however it was made ' +
      '(setup URL, CLI or `ADMIN_EMAIL`), disabled or not.',
  })
  @ApiOkResponse({ type: SetupStatusDto })
  async status(): Promise<SetupStatusDto> {
    return { open: await this.setup.isOpen() };
  }

  @Post('admin')
  @Public()
  @CredentialRateLimit()
  @ApiOperation({
    summary:
      'Create the first admin (verified) with the token of the setup URL the server logged at start; works once, while no admin exists',
    description:
      'Public, under the per-IP limit for credential routes; it answers the new user and does not sign in. 410 once an admin ' +
      'exists, 403 when the token is wrong, expired or already used, 409 when an account has the address, 400 when the ' +
      'password breaks the policy. Audited as `setup.admin-created` (`success` or `denied`).',
  })
  @ApiCreatedResponse({ type: UserDto })
  @ApiProblems(400, 403, 409, 410)
  async createFirstAdmin(@Body() body: FirstAdminDto, @CurrentRequest() request: RequestMeta): Promise<UserDto> {
    return UserDto.from(toProfile(await this.setup.createFirstAdmin(body, request)));
  }

  @Post('local-admin')
  @HttpCode(200)
  @LocalCliOnly()
  @CredentialRateLimit()
  @ApiOperation({
    summary: 'The CLI’s create-admin while the server holds the embedded database: promote an account, or create a verified admin',
    description:
      'Needs the secret from `DATA_DIR/server.json` in `X-Backlot-Local-Secret`, a caller on the same machine and no proxy ' +
      'forwarding header, on a server using an embedded database on disk; otherwise 403, audited as `access.denied`. An ' +
      'existing account is promoted and keeps its password (`password` is ignored); a new one needs `password`, 400 when ' +
      'missing or too weak.',
  })
  @ApiOkResponse({ type: LocalAdminResultDto })
  @ApiProblems(400)
  async localAdmin(@Body() body: LocalAdminDto, @CurrentRequest() request: RequestMeta): Promise<LocalAdminResultDto> {
    const { outcome, user } = await this.setup.createOrPromoteAdmin(body.email, body.password, request);
    return { outcome, user: UserDto.from(toProfile(user)) };
  }
}
