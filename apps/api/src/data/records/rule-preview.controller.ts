import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import { Roles } from '@backlot/security';
import type { CollectionSchema } from '../collections/collection-schema';
import { CollectionParam } from '../collections/collection-param';
import { RulePreviewDto, RulePreviewResultDto } from './dto/rule-preview.dto';
import { RulePreviewService } from './rule-preview.service';

@ApiTags('collections')
@ApiParam({ name: 'name', description: 'The collection', example: 'tasks' })
@Controller('collections/:name/rules')
export class RulePreviewController {
  constructor(private readonly previews: RulePreviewService) {}

  @Post('preview')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    summary: 'Try a draft list rule as an account: the records it would list (admins)',
    description:
      'Lists the first page of records `userId` would get from `GET records` if the collection’s `list` rule were `rule`, through ' +
      'the same access and query code as the real listing; nothing is saved. A rule that does not compile is a 400 with the ' +
      '`position` of the error (also in `errors[0].position`); an unknown account is a 404. `null` as the rule answers ' +
      '`refused: true` for a non-admin; an admin account lists everything (`bypassed: true`). Needs an admin’s access token.',
  })
  @ApiOkResponse({ type: RulePreviewResultDto })
  @ApiProblems(400, 404)
  preview(@CollectionParam() collection: CollectionSchema, @Body() body: RulePreviewDto): Promise<RulePreviewResultDto> {
    return this.previews.preview(collection, body);
  }
}
