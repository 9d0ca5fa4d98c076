import { type FormEvent, useState } from 'react';
import {
  Button,
  Cell,
  Column,
  DateField,
  type DateValue,
  DateInput,
  DateSegment,
  Form,
  Input,
  Label,
  Row,
  Table,
  TableBody,
  TableHeader,
  TextField,
} from 'react-aria-components';
import { client, describe, get } from '../api';
import type { PageProps } from '../sections';
import { Loading, Problem } from '../ui/status';
import { useLoad } from '../ui/use-load';
import { Pager, Time, usePages } from './pager';
import './operations.css';
import { Choice } from '../ui/choice';

interface AuditEvent {
  id: string;
  at: string;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown> | null;
}

interface AuditPage {
  items: AuditEvent[];
  nextCursor: string | null;
  total?: number;
}

/** What the API filters by; empty strings mean "any". */
interface Filters {
  actorId: string;
  action: string;
  targetType: string;
  targetId: string;
  outcome: string;
  /** Calendar days (YYYY-MM-DD, UTC), inclusive. */
  from: string;
  to: string;
}

const NONE: Filters = { actorId: '', action: '', targetType: '', targetId: '', outcome: '', from: '', to: '' };
const OUTCOMES = ['success', 'failure', 'denied', 'started'];

/** The filters as the API's query: whole UTC days for the range. */
function queryOf(filters: Filters): Record<string, string | undefined> {
  const text = (value: string) => value.trim() || undefined;
  return {
    actorId: text(filters.actorId),
    action: text(filters.action),
    targetType: text(filters.targetType),
    targetId: text(filters.targetId),
    outcome: filters.outcome || undefined,
    from: filters.from ? `${filters.from}T00:00:00.000Z` : undefined,
    to: filters.to ? `${filters.to}T23:59:59.999Z` : undefined,
  };
}

/** The audit log (`/_/audit`): filters, pages newest first, and a download of what matches. */
export function AuditPage(_props: PageProps) {
  const [draft, setDraft] = useState<Filters>(NONE);
  const [filters, setFilters] = useState<Filters>(NONE);
  const [exportProblem, setExportProblem] = useState<string | null>(null);
  const pages = usePages();
  const { data, problem, loading } = useLoad(
    (signal) => get<AuditPage>('/admin/audit', { ...queryOf(filters), cursor: pages.cursor, limit: 25 }, signal),
    [filters, pages.cursor],
  );
  const field = (name: keyof Filters) => ({
    value: draft[name],
    onChange: (value: string) => setDraft((now) => ({ ...now, [name]: value })),
  });
  const day = (name: 'from' | 'to') => ({
    onChange: (value: DateValue | null) => setDraft((now) => ({ ...now, [name]: value ? value.toString().slice(0, 10) : '' })),
  });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
    pages.reset();
  };
  const download = async (format: 'csv' | 'ndjson') => {
    setExportProblem(null);
    try {
      const answer = await client.call<Blob>({
        method: 'GET',
        path: '/admin/audit/export',
        query: { ...queryOf(filters), format },
        responseType: 'blob',
        idempotent: true,
      });
      const link = document.createElement('a');
      link.href = URL.createObjectURL(answer.data);
      link.download = `audit-${new Date().toISOString().replace(/[:.]/g, '-')}.${format}`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      setExportProblem(describe(error));
    }
  };

  return (
    <section className="ops" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <Form className="filters" onSubmit={apply} aria-label="Audit filters">
        <TextField {...field('action')}>
          <Label>Action</Label>
          <Input placeholder="auth.* or auth.login" />
        </TextField>
        <TextField {...field('actorId')}>
          <Label>Actor id</Label>
          <Input />
        </TextField>
        <TextField {...field('targetType')}>
          <Label>Target type</Label>
          <Input />
        </TextField>
        <TextField {...field('targetId')}>
          <Label>Target id</Label>
          <Input />
        </TextField>
        <Choice
          label="Outcome"
          value={draft.outcome || 'any'}
          options={[{ id: 'any', label: 'Any outcome' }, ...OUTCOMES.map((outcome) => ({ id: outcome, label: outcome }))]}
          onChange={(key) => setDraft((now) => ({ ...now, outcome: key === 'any' ? '' : key }))}
        />
        <DateField {...day('from')}>
          <Label>From (UTC day)</Label>
          <DateInput>{(segment) => <DateSegment segment={segment} />}</DateInput>
        </DateField>
        <DateField {...day('to')}>
          <Label>To (UTC day)</Label>
          <DateInput>{(segment) => <DateSegment segment={segment} />}</DateInput>
        </DateField>
        <Button type="submit">Apply filters</Button>
      </Form>
      <div className="page-actions">
        <Button className="react-aria-Button quiet" onPress={() => void download('csv')}>
          Download CSV
        </Button>
        <Button className="react-aria-Button quiet" onPress={() => void download('ndjson')}>
          Download NDJSON
        </Button>
      </div>
      <Problem text={exportProblem} />
      <Problem text={problem} />
      {!data && loading && <Loading what="audit events" />}
      {data && (
        <>
          <Table aria-labelledby="audit-title" aria-busy={loading}>
            <TableHeader>
              <Column isRowHeader>Time</Column>
              <Column>Action</Column>
              <Column>Outcome</Column>
              <Column>Actor</Column>
              <Column>Target</Column>
              <Column>Address</Column>
              <Column>User agent</Column>
              <Column>Details</Column>
            </TableHeader>
            <TableBody items={data.items} renderEmptyState={() => <p>No event matches.</p>}>
              {(event) => (
                <Row id={event.id}>
                  <Cell>
                    <Time at={event.at} />
                  </Cell>
                  <Cell>{event.action}</Cell>
                  <Cell>{event.outcome}</Cell>
                  <Cell>
                    {event.actorType}
                    {event.actorId && <code className="muted"> {event.actorId}</code>}
                  </Cell>
                  <Cell>{event.targetType ? `${event.targetType} ${event.targetId ?? ''}` : '—'}</Cell>
                  <Cell>{event.ip ?? '—'}</Cell>
                  <Cell>
                    <span className="agent">{event.userAgent ?? '—'}</span>
                  </Cell>
                  <Cell>{event.details ? <code className="agent">{JSON.stringify(event.details)}</code> : '—'}</Cell>
                </Row>
              )}
            </TableBody>
          </Table>
          <Pager pages={pages} nextCursor={data.nextCursor} label="Audit log" />
        </>
      )}
    </section>
  );
}
