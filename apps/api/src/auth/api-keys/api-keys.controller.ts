import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import { Authenticated, CurrentPrincipal, CurrentRequest, type Principal, type RequestMeta } from '@backlot/security';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-key.dto';
import { ApiKeysService } from './api-keys.service';

/** A user's API keys. Managed with an access token only: a key cannot mint or revoke keys. */
@ApiTags('auth')
@Controller('auth/api-keys')
@Authenticated()
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ApiOperation({
    summary: 'Create an API key (the key is shown once)',
    description:
      'Access token only: an API key cannot create keys (403). The key acts for its owner within `scopes`, is stored only as ' +
      'a hash and is sent as `X-API-Key`. 400 when `expiresAt` is not in the future, 409 when the caller already has 50 keys ' +
      'that are not revoked; audited as `auth.api-key.created`.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiProblems(400, 409)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateApiKeyDto,
    @CurrentRequest() request: RequestMeta,
  ): Promise<CreatedApiKeyDto> {
    const created = await this.keys.create(
      principal.userId,
      { name: body.name, scopes: body.scopes, expiresAt: body.expiresAt ? new Date(body.expiresAt) : undefined },
      request,
    );
    return { ...ApiKeyDto.from(created), key: created.key };
  }

  @Get()
  @ApiOperation({
    summary: 'List the active API keys (never the keys themselves)',
    description:
      'Access token only (API keys get 403). Keys not revoked, newest first, expired ones included; each with its prefix, ' +
      'scopes, expiry and `lastUsedAt` (minute resolution).',
  })
  @ApiOkResponse({ type: [ApiKeyDto] })
  async list(@CurrentPrincipal() principal: Principal): Promise<ApiKeyDto[]> {
    return (await this.keys.list(principal.userId)).map((row) => ApiKeyDto.from(row));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke an API key; it stops working at once',
    description:
      'Access token only (API keys get 403). 404 when the id is not an unrevoked key of the caller, 400 when it is not a ' +
      'UUID. Audited as `auth.api-key.revoked`.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentRequest() request: RequestMeta,
  ): Promise<void> {
    await this.keys.revoke(principal.userId, id, request);
  }
}
