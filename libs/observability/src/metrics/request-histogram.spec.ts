import { Histogram, Registry } from 'prom-client';
import { RequestHistogram } from './request-histogram';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVATIONS: [string, string, string, number][] = [
  ['GET', '/a', '200', 0.0005],
  ['GET', '/a', '200', 0.001], // on a bound: counted in that bucket, as Prometheus says
  ['GET', '/a', '200', 0.05],
  ['GET', '/a', '404', 2],
  ['POST', '/b "quoted"', '201', 0.01],
];

function promClient(): Registry {
  const registry = new Registry();
  const histogram = new Histogram({
    name: 'h',
    help: 'help',
    labelNames: ['method', 'route', 'status_code'],
    buckets: BUCKETS,
    registers: [registry],
  });
  for (const [method, route, status_code, value] of OBSERVATIONS) histogram.observe({ method, route, status_code }, value);
  return registry;
}

function ours(): { registry: Registry; histogram: RequestHistogram<'method' | 'route' | 'status_code'> } {
  const registry = new Registry();
  const histogram = new RequestHistogram('h', 'help', ['method', 'route', 'status_code'], BUCKETS, registry);
  const series = new Map<string, { observe(value: number): void }>();
  for (const [method, route, status, value] of OBSERVATIONS) {
    const key = `${method} ${route} ${status}`;
    if (!series.has(key)) series.set(key, histogram.series(method, route, status));
    series.get(key)!.observe(value);
  }
  return { registry, histogram };
}

describe('RequestHistogram', () => {
  it('renders exactly what prom-client’s Histogram renders for the same observations', async () => {
    expect(await ours().registry.metrics()).toBe(await promClient().metrics());
  });

  it('is in the JSON prom-client gives of its registry', async () => {
    const [metric] = await ours().registry.getMetricsAsJSON();
    expect(metric).toMatchObject({ name: 'h', type: 'histogram' });
  });

  it('zeroes its series on reset, keeping them', async () => {
    const { registry, histogram } = ours();
    histogram.reset();
    const text = await registry.metrics();
    expect(text).toContain('h_count{method="GET",route="/a",status_code="200"} 0');
    expect(text).not.toMatch(/ [1-9]\d*$/m);
  });
});
