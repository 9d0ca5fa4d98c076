import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import { CurrentPrincipal, type Principal, Roles } from '@backlot/security';
import type { CollectionSchema } from '../collections/collection-schema';
import { CollectionParam } from '../collections/collection-param';
import { ListExplainDto, ListExplainQuery } from './dto/list-explain.dto';
import { ListExplainService } from './list-explain.service';

@ApiTags('collections')
@ApiParam({ name: 'name', description: 'The collection', example: 'tasks' })
@Controller('collections/:name/explain')
export class ListExplainController {
  constructor(private readonly explains: ListExplainService) {}

  @Get()
  @Roles('admin')
  @ApiOperation({
    summary: 'The query plan of a record listing, and which of the collection’s indexes it uses (admins)',
    description:
      'Takes the `filter`, `sort`, `q`, `cursor` and `limit` of `GET records` and answers with the statement that listing sends and ' +
      'PostgreSQL’s plan for it, as the account `as` would send it (its `list` rule included; default: you). `analyze=true` also runs ' +
      'the statement (it only reads) for actual rows and timings. Lists the collection’s declared and field indexes with their state ' +
      'and whether the plan reads them. An invalid filter or sort is a 400 with its position; an unknown account a 404. Needs an ' +
      'admin’s access token.',
  })
  @ApiOkResponse({ type: ListExplainDto })
  @ApiProblems(400, 404)
  explain(
    @CollectionParam() collection: CollectionSchema,
    @Query() query: ListExplainQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ListExplainDto> {
    return this.explains.explain(collection, principal, query);
  }
}
