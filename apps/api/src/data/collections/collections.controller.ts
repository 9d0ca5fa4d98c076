import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import {
  CurrentPrincipal,
  CurrentRequest,
  OptionalAuthentication,
  OptionalPrincipal,
  type Principal,
  type RequestMeta,
  Roles,
} from '@backlot/security';
import { RecordAccess } from '../access/record-access';
import { CollectionDto, CollectionListDto, CreateCollectionDto, UpdateCollectionDto } from './dto/collection.dto';
import { CollectionNameParam } from './dto/collection-name.dto';
import { CollectionsService } from './collections.service';

@ApiTags('collections')
@Controller('collections')
export class CollectionsController {
  constructor(
    private readonly collections: CollectionsService,
    private readonly access: RecordAccess,
  ) {}

  @Post()
  @Roles('admin')
  @ApiOperation({
    summary: 'Create a collection (admins)',
    description:
      'Needs an admin’s access token; API keys are refused. Rules left out are `null` (admins only) and options left out take their ' +
      'defaults. A name already in use is a 409; invalid fields, a relation to an unknown collection or a rule that does not compile is ' +
      'a 400 listing each problem.',
  })
  @ApiCreatedResponse({ type: CollectionDto })
  @ApiProblems(400, 409)
  async create(
    @Body() body: CreateCollectionDto,
    @CurrentPrincipal() principal: Principal,
    @CurrentRequest() request: RequestMeta,
  ): Promise<CollectionDto> {
    return CollectionDto.from(await this.collections.create(body, principal, request), true);
  }

  @Get()
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({
    summary: 'Collections the caller may read records of (all of them for admins)',
    description:
      'Open to anonymous callers and to API keys with `records:read`. A non-admin gets every collection whose `list` or `view` rule is ' +
      'not `null`, without its `rules` and hidden fields.',
  })
  @ApiOkResponse({ type: CollectionListDto })
  async list(@OptionalPrincipal() principal: Principal | null): Promise<CollectionListDto> {
    const rows = await this.collections.list(principal);
    return { items: rows.map((row) => CollectionDto.from(row, this.access.seesHidden(principal))) };
  }

  @Get(':name')
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({
    summary: 'A collection’s schema',
    description:
      'Open to anonymous callers and to API keys with `records:read`. A non-admin gets it only if its `list` or `view` rule is not ' +
      '`null`, and without its `rules` and hidden fields; otherwise the answer is the same 404 as for a collection that does not exist.',
  })
  @ApiOkResponse({ type: CollectionDto })
  @ApiProblems(404)
  async get(@Param() { name }: CollectionNameParam, @OptionalPrincipal() principal: Principal | null): Promise<CollectionDto> {
    return CollectionDto.from(await this.collections.get(name, principal), this.access.seesHidden(principal));
  }

  @Patch(':name')
  @Roles('admin')
  @ApiOperation({
    summary: 'Change a collection’s schema, rules or options (admins)',
    description:
      '`fields` is the complete new list; a field with `from` renames that field. A change stored records cannot satisfy ' +
      'is refused with 409 naming the field and the number of offending records, and nothing changes.',
  })
  @ApiOkResponse({ type: CollectionDto })
  @ApiProblems(400, 404, 409, 412)
  async update(
    @Param() { name }: CollectionNameParam,
    @Body() body: UpdateCollectionDto,
    @CurrentPrincipal() principal: Principal,
    @CurrentRequest() request: RequestMeta,
  ): Promise<CollectionDto> {
    return CollectionDto.from(await this.collections.update(name, body, principal, request), true);
  }

  @Delete(':name')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({
    summary: 'Drop a collection with all its records and history (admins)',
    description:
      'Needs an admin’s access token; API keys are refused. Refused with 409 while another collection has a relation field pointing at ' +
      'it. Its stored files are deleted by the next files sweep, and the drop is audited.',
  })
  @ApiNoContentResponse()
  @ApiProblems(404, 409)
  async drop(
    @Param() { name }: CollectionNameParam,
    @CurrentPrincipal() principal: Principal,
    @CurrentRequest() request: RequestMeta,
  ): Promise<void> {
    await this.collections.drop(name, principal, request);
  }
}
