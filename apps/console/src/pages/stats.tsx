import { Button } from 'react-aria-components';
import { get } from '../api';
import type { PageProps } from '../sections';
import { Loading, Problem } from '../ui/status';
import { useLoad } from '../ui/use-load';
import './operations.css';
import './stats.css';

interface Stats {
  version: string;
  uptimeSeconds: number;
  startedAt: string;
  database: { kind: string; sizeBytes: number | null };
  users: { total: number; admins: number; disabled: number; unverified: number };
  collections: { total: number; records: { name: string; live: number; trashed: number; files: number; fileBytes: number }[] };
  cache: { hits: number; misses: number; bypassed: number; hitRatio: number | null };
  jobs: { states: { pending: number; running: number; completed: number; failed: number }; due: number; oldestDueSeconds: number };
}

interface CacheInfo {
  store: 'memory' | 'redis';
  namespaces: string[];
}

function bytes(value: number | null): string {
  if (value === null) return 'unknown';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? size : size.toFixed(1)} ${units[unit]}`;
}

function duration(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  if (days) return `${days} d ${hours} h`;
  if (hours) return `${hours} h ${minutes} min`;
  return minutes ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

interface Bar {
  label: string;
  value: number;
  /** The value as people read it (bytes, a percentage); the number itself by default. */
  text?: string;
}

const ROW = 26;
const LABEL = 150;
const WIDTH = 460;

/**
 * A horizontal bar chart drawn from numbers as inline SVG. The picture is for the eye; its text
 * alternative (the role="img" label) carries every value, so nothing is only in the drawing.
 */
function BarChart({ title, bars, empty }: { title: string; bars: Bar[]; empty: string }) {
  if (bars.length === 0) {
    return (
      <figure className="chart">
        <figcaption>{title}</figcaption>
        <p>{empty}</p>
      </figure>
    );
  }
  const most = Math.max(1, ...bars.map((bar) => bar.value));
  const room = WIDTH - LABEL - 70;
  const alternative = `${title}: ${bars.map((bar) => `${bar.label} ${bar.text ?? bar.value}`).join(', ')}`;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg role="img" aria-label={alternative} viewBox={`0 0 ${WIDTH} ${bars.length * ROW}`} width={WIDTH} height={bars.length * ROW}>
        {bars.map((bar, index) => (
          <g key={bar.label} transform={`translate(0 ${index * ROW})`}>
            <text className="chart-label" x={LABEL - 8} y={ROW / 2} textAnchor="end" dominantBaseline="middle">
              {bar.label.length > 20 ? `${bar.label.slice(0, 19)}…` : bar.label}
            </text>
            <rect className="chart-track" x={LABEL} y={4} width={room} height={ROW - 8} rx={2} />
            <rect
              className="chart-bar"
              x={LABEL}
              y={4}
              width={Math.max(bar.value > 0 ? 2 : 0, (bar.value / most) * room)}
              height={ROW - 8}
              rx={2}
            />
            <text className="chart-value" x={LABEL + room + 6} y={ROW / 2} dominantBaseline="middle">
              {bar.text ?? bar.value}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}

/** Counts, storage, cache and job queue of the running instance (`/_/stats`). */
export function StatsPage(_props: PageProps) {
  const stats = useLoad((signal) => get<Stats>('/admin/stats', undefined, signal), []);
  const cache = useLoad((signal) => get<CacheInfo>('/admin/cache', undefined, signal), []);
  const data = stats.data;
  const reload = () => (stats.reload(), cache.reload());
  const ratio = data?.cache.hitRatio;

  return (
    <section className="ops" aria-labelledby="stats-title">
      <h1 id="stats-title">Stats</h1>
      <Button className="react-aria-Button quiet" onPress={reload}>
        Refresh
      </Button>
      <Problem text={stats.problem} />
      {!data && stats.loading && <Loading what="stats" />}
      {data && (
        <>
          <dl className="tiles" aria-label="At a glance">
            <div>
              <dt>Users</dt>
              <dd>{data.users.total}</dd>
            </div>
            <div>
              <dt>Admins</dt>
              <dd>{data.users.admins}</dd>
            </div>
            <div>
              <dt>Disabled</dt>
              <dd>{data.users.disabled}</dd>
            </div>
            <div>
              <dt>Unverified</dt>
              <dd>{data.users.unverified}</dd>
            </div>
            <div>
              <dt>Collections</dt>
              <dd>{data.collections.total}</dd>
            </div>
            <div>
              <dt>Database ({data.database.kind})</dt>
              <dd>{bytes(data.database.sizeBytes)}</dd>
            </div>
            <div>
              <dt>Files</dt>
              <dd>{bytes(data.collections.records.reduce((sum, each) => sum + each.fileBytes, 0))}</dd>
            </div>
            <div>
              <dt>Version</dt>
              <dd>{data.version}</dd>
            </div>
            <div>
              <dt>Up for</dt>
              <dd>{duration(data.uptimeSeconds)}</dd>
            </div>
          </dl>

          <h2>Records and storage</h2>
          <div className="charts">
            <BarChart
              title="Live records per collection"
              empty="No collection yet."
              bars={data.collections.records.map((each) => ({ label: each.name, value: each.live }))}
            />
            <BarChart
              title="File storage per collection"
              empty="No collection yet."
              bars={data.collections.records.map((each) => ({ label: each.name, value: each.fileBytes, text: bytes(each.fileBytes) }))}
            />
          </div>

          <h2>Job queue</h2>
          <div className="charts">
            <BarChart
              title="Jobs by state"
              empty="No job."
              bars={Object.entries(data.jobs.states).map(([state, value]) => ({ label: state, value }))}
            />
            <p>
              {data.jobs.due} due now
              {data.jobs.due > 0 && `, the oldest waiting ${duration(data.jobs.oldestDueSeconds)}`}.
            </p>
          </div>

          <h2>Cache</h2>
          <div className="charts">
            <BarChart
              title="Cache lookups on this instance"
              empty="No lookup yet."
              bars={[
                { label: 'hits', value: data.cache.hits },
                { label: 'misses', value: data.cache.misses },
                { label: 'bypassed', value: data.cache.bypassed },
              ]}
            />
            <p>
              Hit ratio: {ratio === null || ratio === undefined ? 'no lookup yet' : `${Math.round(ratio * 100)}%`}
              {cache.data && ` · store: ${cache.data.store === 'redis' ? 'Redis (shared)' : 'memory (this process)'}`}
              {cache.data && ` · ${cache.data.namespaces.length} namespaces`}
            </p>
          </div>
        </>
      )}
    </section>
  );
}
