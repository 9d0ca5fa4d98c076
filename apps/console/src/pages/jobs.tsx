import { useState } from 'react';
import { Button, Cell, Column, Input, Label, Row, Table, TableBody, TableHeader, TextField } from 'react-aria-components';
import { describe, get, send } from '../api';
import type { PageProps } from '../sections';
import { ConfirmButton } from '../ui/confirm';
import { Loading, Problem } from '../ui/status';
import { useLoad } from '../ui/use-load';
import { href } from '../navigation';
import { Pager, Time, usePages } from './pager';
import './operations.css';
import { Choice } from '../ui/choice';

interface Job {
  id: string;
  name: string;
  state: string;
  attempts: number;
  maxAttempts: number;
  runAt: string;
  lastError: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface Schedule {
  name: string;
  cron: string;
  nextRunAt: string;
  lastRunAt: string | null;
}

const STATES = ['failed', 'pending', 'running', 'completed'];

/** The jobs section: `/_/jobs` lists jobs by state and the schedules, `/_/jobs/<id>` is one job. */
export function JobsPage({ rest, navigate }: PageProps) {
  return rest[0] ? <JobDetail id={rest[0]} navigate={navigate} /> : <JobList />;
}

function JobList() {
  const [state, setState] = useState('failed');
  const [name, setName] = useState('');
  const [applied, setApplied] = useState('');
  const pages = usePages();
  const jobs = useLoad(
    (signal) =>
      get<{ items: Job[]; nextCursor: string | null }>(
        '/admin/jobs',
        { state, name: applied || undefined, cursor: pages.cursor, limit: 25 },
        signal,
      ),
    [state, applied, pages.cursor],
  );
  const schedules = useLoad((signal) => get<Schedule[]>('/admin/jobs/schedules', undefined, signal), []);

  return (
    <section className="ops" aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <form
        className="filters"
        aria-label="Job filters"
        onSubmit={(event) => (event.preventDefault(), setApplied(name.trim()), pages.reset())}
      >
        <Choice label="State" value={state} options={STATES} onChange={(chosen) => (setState(chosen), pages.reset())} />
        <TextField value={name} onChange={setName}>
          <Label>Job name</Label>
          <Input placeholder="mail.send" />
        </TextField>
        <Button type="submit">Apply</Button>
      </form>
      <h2 id="job-list-title">{state === 'failed' ? 'Failed jobs (dead-lettered)' : `${state[0].toUpperCase()}${state.slice(1)} jobs`}</h2>
      <Problem text={jobs.problem} />
      {!jobs.data && jobs.loading && <Loading what="jobs" />}
      {jobs.data && (
        <>
          <Table aria-labelledby="job-list-title" aria-busy={jobs.loading}>
            <TableHeader>
              <Column isRowHeader>Job</Column>
              <Column>State</Column>
              <Column>Attempts</Column>
              <Column>Run at</Column>
              <Column>Last error</Column>
            </TableHeader>
            <TableBody items={jobs.data.items} renderEmptyState={() => <p>No {state} job.</p>}>
              {(job) => (
                <Row id={job.id} href={href('jobs', job.id)}>
                  <Cell>{job.name}</Cell>
                  <Cell>{job.state}</Cell>
                  <Cell>
                    {job.attempts} of {job.maxAttempts}
                  </Cell>
                  <Cell>
                    <Time at={job.runAt} />
                  </Cell>
                  <Cell>
                    <span className="agent">{job.lastError ?? '—'}</span>
                  </Cell>
                </Row>
              )}
            </TableBody>
          </Table>
          <Pager pages={pages} nextCursor={jobs.data.nextCursor} label="Jobs" />
        </>
      )}

      <h2 id="schedules-title">Schedules</h2>
      <Problem text={schedules.problem} />
      {schedules.data && (
        <Table aria-labelledby="schedules-title">
          <TableHeader>
            <Column isRowHeader>Job</Column>
            <Column>Cron (UTC)</Column>
            <Column>Next run</Column>
            <Column>Last run</Column>
          </TableHeader>
          <TableBody
            items={schedules.data.map((schedule) => ({ ...schedule, id: schedule.name }))}
            renderEmptyState={() => <p>No schedule.</p>}
          >
            {(schedule) => (
              <Row>
                <Cell>{schedule.name}</Cell>
                <Cell>
                  <code>{schedule.cron}</code>
                </Cell>
                <Cell>
                  <Time at={schedule.nextRunAt} />
                </Cell>
                <Cell>
                  <Time at={schedule.lastRunAt} />
                </Cell>
              </Row>
            )}
          </TableBody>
        </Table>
      )}
    </section>
  );
}

function JobDetail({ id, navigate }: { id: string; navigate(to: string): void }) {
  const job = useLoad((signal) => get<Job>(`/admin/jobs/${encodeURIComponent(id)}`, undefined, signal), [id]);
  const [problem, setProblem] = useState<string | null>(null);
  const path = `/admin/jobs/${encodeURIComponent(id)}`;
  const data = job.data;
  return (
    <section className="ops" aria-labelledby="job-title">
      <p>
        <a href={href('jobs')} onClick={(event) => (event.preventDefault(), navigate(href('jobs')))}>
          ← All jobs
        </a>
      </p>
      <h1 id="job-title">{data ? `Job ${data.name}` : 'Job'}</h1>
      {!data && (job.loading ? <Loading what="the job" /> : <Problem text={job.problem} />)}
      {data && (
        <>
          <dl className="facts">
            <div>
              <dt>State</dt>
              <dd>{data.state}</dd>
            </div>
            <div>
              <dt>Attempts</dt>
              <dd>
                {data.attempts} of {data.maxAttempts}
              </dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>
                <Time at={data.createdAt} />
              </dd>
            </div>
            <div>
              <dt>Run at</dt>
              <dd>
                <Time at={data.runAt} />
              </dd>
            </div>
            <div>
              <dt>Last started</dt>
              <dd>
                <Time at={data.startedAt} />
              </dd>
            </div>
            <div>
              <dt>Finished</dt>
              <dd>
                <Time at={data.finishedAt} />
              </dd>
            </div>
            <div>
              <dt>Id</dt>
              <dd>
                <code>{data.id}</code>
              </dd>
            </div>
          </dl>
          <h2>Last error</h2>
          {data.lastError ? <pre className="agent">{data.lastError}</pre> : <p>None.</p>}
          <p className="muted">The payload is not shown: the API never returns it, as it may hold sealed personal data.</p>
          {data.state === 'failed' && (
            <div className="page-actions">
              <Button
                onPress={() => {
                  setProblem(null);
                  send('POST', `${path}/retry`).then(job.reload, (error: unknown) => setProblem(describe(error)));
                }}
              >
                Retry
              </Button>
              <ConfirmButton
                label="Discard"
                title={`Discard this ${data.name} job?`}
                onConfirm={() => send('DELETE', path).then(() => navigate(href('jobs')))}
              >
                <p>The job is deleted without running again.</p>
              </ConfirmButton>
            </div>
          )}
          {data.state !== 'failed' && (
            <Button className="react-aria-Button quiet" onPress={job.reload}>
              Refresh
            </Button>
          )}
          <Problem text={problem} />
        </>
      )}
    </section>
  );
}
