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
  @ApiOperation({ summary: 'Jobs in one state (failed by default), newest first' })
  @ApiOkResponse({ type: JobPageDto })
  @ApiProblems(400)
  list(@Query() query: JobListQuery): Promise<JobPageDto> {
    return this.jobs.list({ state: query.state ?? 'failed', name: query.name, cursor: query.cursor, limit: query.limit ?? DEFAULT_LIMIT });
  }

  @Get('schedules')
  @AdminAction('jobs.schedules')
  @ApiOperation({ summary: 'Recurring jobs: cron, next and last run' })
  @ApiOkResponse({ type: [JobScheduleDto] })
  schedules(): Promise<JobScheduleDto[]> {
    return this.jobs.schedules();
  }

  @Get(':id')
  @AdminAction('jobs.view')
  @ApiOperation({ summary: 'One job' })
  @ApiOkResponse({ type: JobDto })
  @ApiProblems(400, 404)
  view(@Param() { id }: JobIdParam): Promise<JobDto> {
    return this.jobs.get(id);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @AdminAction('jobs.retry')
  @ApiOperation({ summary: 'Run a failed job again (attempts start over); 409 unless it failed' })
  @ApiOkResponse({ type: JobDto })
  @ApiProblems(400, 404, 409)
  retry(@Param() { id }: JobIdParam): Promise<JobDto> {
    return this.jobs.retry(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminAction('jobs.discard')
  @ApiOperation({ summary: 'Discard a failed job; 409 unless it failed' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  async discard(@Param() { id }: JobIdParam): Promise<void> {
    await this.jobs.discard(id);
  }
}
