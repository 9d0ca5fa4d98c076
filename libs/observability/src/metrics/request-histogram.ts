import type { Registry } from 'prom-client';

type Labels = Record<string, string | number>;

interface Series {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

interface MetricValue {
  metricName: string;
  labels: Labels;
  value: number;
}

/**
 * A Prometheus histogram for a hot path, registered in a prom-client registry like any of its
 * metrics. prom-client's Histogram checks and hashes the label values on every observation,
 * even through a labelled child; here a caller holds its series and an observation is a bucket
 * search and three additions. The scrape output is the same as prom-client's.
 */
export class RequestHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly all: Series[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The series for these label values (in `labelNames` order); keep it and observe through it. */
  series(...values: string[]): { observe(value: number): void } {
    const labels: Labels = {};
    this.labelNames.forEach((label, index) => (labels[label] = values[index]));
    const series: Series = { labels, counts: new Array<number>(this.upperBounds.length + 1).fill(0), sum: 0, count: 0 };
    this.all.push(series);
    return {
      observe: (value: number) => {
        let bucket = 0;
        while (bucket < this.upperBounds.length && value > this.upperBounds[bucket]) bucket++;
        series.counts[bucket]++;
        series.sum += value;
        series.count++;
      },
    };
  }

  /** What the registry renders: cumulative buckets, then `_sum` and `_count`, per series. */
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const series of this.all) {
      let cumulative = 0;
      series.counts.forEach((count, index) => {
        cumulative += count;
        const le = index < this.upperBounds.length ? this.upperBounds[index] : '+Inf';
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...series.labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const series of this.all) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
