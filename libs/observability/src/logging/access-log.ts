import type { DestinationStream } from 'pino';

export interface AccessLogEntry {
  reqId: string;
  method: string;
  route: string;
  url: string;
  statusCode: number;
  ms: number;
  ip: string;
}

/**
 * One JSON line per request, in the same shape as the pino lines around it. It is
 * written directly rather than through pino: every field is chosen here (the URL's
 * sensitive query values are removed by the caller), so redaction and generic
 * serialisation would only add cost to every request.
 */
export class AccessLog {
  private lastSecond = -1;
  private secondPrefix = '';

  constructor(
    private readonly destination: DestinationStream,
    readonly enabled: boolean,
  ) {}

  write(entry: AccessLogEntry): void {
    if (!this.enabled) return;
    this.destination.write(
      `{"level":"info","time":"${this.now()}","service":"backlot","reqId":${JSON.stringify(entry.reqId)},"method":${JSON.stringify(entry.method)},` +
        `"route":${JSON.stringify(entry.route)},"url":${JSON.stringify(entry.url)},"statusCode":${entry.statusCode},"ms":${entry.ms},` +
        `"ip":${JSON.stringify(entry.ip)},"msg":"request completed"}\n`,
    );
  }

  /** ISO 8601 time with milliseconds; the date and second are formatted once per second. */
  private now(): string {
    const ms = Date.now();
    const second = Math.floor(ms / 1000);
    if (second !== this.lastSecond) {
      this.lastSecond = second;
      this.secondPrefix = new Date(second * 1000).toISOString().slice(0, 20); // "2026-12-07T08:05:01."
    }
    const millis = ms - second * 1000;
    return `${this.secondPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
  }
}
