import { Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiProblems, DEFAULT_LIMIT } from '@backlot/http';
import { JobQueue } from '@backlot/jobs';
import { AdminAction, AdminController } from '../admin-controller.decorator';
import { JobDto, JobIdParam, JobListQuery, JobPageDto, JobScheduleDto } from './dto/job.dto';

@AdminController('jobs')
export class AdminJobsController {
  constructor(private readonly jobs: JobQueue) {}

  @Get()
  @AdminAction('jobs.list')
  @ApiOperation({
    summary: 'Jobs in one state (failed by default), newest first',
    description:
      'Admins only; audited as `admin.jobs.list`. `state` is pending, running, completed or failed (failed = dead-lettered); `name` ' +
      'keeps one job type. Cursor pages; payloads are never shown.',
  })
  @ApiOkResponse({ type: JobPageDto })
  @ApiProblems(400)
  list(@Query() query: JobListQuery): Promise<JobPageDto> {
    return this.jobs.list({ state: query.state ?? 'failed', name: query.name, cursor: query.cursor, limit: query.limit ?? DEFAULT_LIMIT });
  }

  @Get('schedules')
  @AdminAction('jobs.schedules')
  @ApiOperation({
    summary: 'Recurring jobs: cron, next and last run',
    description:
      'Admins only; audited as `admin.jobs.schedules`. The schedules stored for the whole cluster, by name, with cron expressions in ' +
      'UTC; a schedule switched `off` is not listed. Not paged.',
  })
  @ApiOkResponse({ type: [JobScheduleDto] })
  schedules(): Promise<JobScheduleDto[]> {
    return this.jobs.schedules();
  }

  @Get(':id')
  @AdminAction('jobs.view')
  @ApiOperation({
    summary: 'One job',
    description:
      'Admins only; audited as `admin.jobs.view`. State, attempts, run times and the last error; the payload is never shown (it may ' +
      'hold sealed personal data). 404 for an unknown id.',
  })
  @ApiOkResponse({ type: JobDto })
  @ApiProblems(400, 404)
  view(@Param() { id }: JobIdParam): Promise<JobDto> {
    return this.jobs.get(id);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @AdminAction('jobs.retry')
  @ApiOperation({
    summary: 'Run a failed job again (attempts start over); 409 unless it failed',
    description:
      'Admins only; audited as `admin.jobs.retry`. The job goes back to `pending`, due at once, and keeps its `lastError` until that ' +
      'run ends; the answer is the job as it now is. 404 for an unknown id.',
  })
  @ApiOkResponse({ type: JobDto })
  @ApiProblems(400, 404, 409)
  retry(@Param() { id }: JobIdParam): Promise<JobDto> {
    return this.jobs.retry(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminAction('jobs.discard')
  @ApiOperation({
    summary: 'Discard a failed job; 409 unless it failed',
    description: 'Admins only; audited as `admin.jobs.discard`. The job is deleted without running again. 404 for an unknown id.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  async discard(@Param() { id }: JobIdParam): Promise<void> {
    await this.jobs.discard(id);
  }
}
