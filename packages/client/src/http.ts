import { type ProblemBody, ProblemError } from './problem.js';
import { type ProgressListener, sendWithProgress } from './progress.js';

export type QueryValue = string | number | boolean | undefined | null;

export interface CallOptions {
  /** Aborts the call (and any wait between retries). */
  signal?: AbortSignal;
}

export interface HttpRequest extends CallOptions {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Under the API root, e.g. `/collections/todos/records`. */
  path: string;
  query?: Record<string, QueryValue>;
  /** Sent as JSON; a FormData as multipart/form-data; a Blob as it is (its type in `headers`). */
  body?: unknown;
  /** Called as the body's bytes are sent (a FormData or Blob body). */
  onUploadProgress?: ProgressListener;
  /** `blob`: a successful answer's body as a Blob, unparsed (an export); problems are read as usual. */
  responseType?: 'json' | 'blob';
  headers?: Record<string, string>;
  /**
   * Whether sending it twice cannot do twice what once did: reads, and writes carrying an
   * Idempotency-Key or If-Match. Only these are retried after a network error or a 502/503/504.
   */
  idempotent?: boolean;
}

export interface HttpAnswer<T> {
  data: T;
  status: number;
  headers: Headers;
}

export interface TransportOptions {
  /** The server, e.g. `https://api.example.com` (the API lives under `/api/v1`). */
  url: string;
  fetch?: typeof fetch;
  /** `include` for cookie mode (the refresh cookie goes with auth calls). */
  credentials?: RequestCredentials;
  /** Retries of an idempotent call after a network error or 502/503/504 (default 2). */
  retries?: number;
}

const RETRY_STATUSES = new Set([502, 503, 504]);
const MAX_RETRY_WAIT_MS = 10_000;

/** fetch() with the API's conventions: JSON in and out, problem errors, retries only where they are safe. */
export class Transport {
  private readonly root: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: TransportOptions) {
    this.root = `${options.url.replace(/\/+$/, '')}/api/v1`;
    // Called unbound: some runtimes refuse a fetch whose `this` is not the global object.
    const impl = options.fetch ?? globalThis.fetch;
    if (!impl) throw new Error('No fetch() here: pass one as `fetch` (Node 20+, browsers, Deno and Bun have it).');
    this.fetchImpl = (input, init) => impl(input, init);
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null) search.set(key, String(value));
    const text = search.toString();
    return `${this.root}${path}${text ? `?${text}` : ''}`;
  }

  /** A response to read as a stream (Server-Sent Events); a non-2xx answer throws its ProblemError. */
  async open(
    path: string,
    query: Record<string, QueryValue | QueryValue[]>,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Response> {
    const url = new URL(this.url(path));
    for (const [key, value] of Object.entries(query))
      for (const each of Array.isArray(value) ? value : [value])
        if (each !== undefined && each !== null) url.searchParams.append(key, String(each));
    const response = await this.fetchImpl(url.href, {
      headers: { accept: 'text/event-stream', ...headers },
      credentials: this.options.credentials,
      signal,
    });
    if (!response.ok) await read(response);
    return response;
  }

  async send<T>(request: HttpRequest): Promise<HttpAnswer<T>> {
    const retries = request.idempotent ? (this.options.retries ?? 2) : 0;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetchOnce(request);
      } catch (error) {
        if (request.signal?.aborted || attempt >= retries) throw error;
        await pause(backoff(attempt), request.signal);
        continue;
      }
      if (RETRY_STATUSES.has(response.status) && attempt < retries) {
        await response.body?.cancel();
        await pause(retryAfter(response) ?? backoff(attempt), request.signal);
        continue;
      }
      return read<T>(response, request.responseType);
    }
  }

  private fetchOnce(request: HttpRequest): Promise<Response> {
    const raw = request.body instanceof FormData || request.body instanceof Blob;
    const init = {
      method: request.method,
      // A FormData's Content-Type (with its boundary) is written by whoever encodes it.
      headers: {
        accept: 'application/json',
        ...(request.body !== undefined && !raw && { 'content-type': 'application/json' }),
        ...request.headers,
      },
      credentials: this.options.credentials,
      signal: request.signal,
    };
    const url = this.url(request.path, request.query);
    if (raw && request.onUploadProgress)
      return sendWithProgress(this.fetchImpl, { ...init, url, body: request.body as Blob | FormData }, request.onUploadProgress);
    const body = request.body === undefined ? undefined : raw ? (request.body as BodyInit) : JSON.stringify(request.body);
    return this.fetchImpl(url, { ...init, body });
  }
}

async function read<T>(response: Response, responseType?: HttpRequest['responseType']): Promise<HttpAnswer<T>> {
  if (responseType === 'blob' && response.ok)
    return { data: (await response.blob()) as T, status: response.status, headers: response.headers };
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const parsed: unknown = text && type.includes('json') ? JSON.parse(text) : text || undefined;
  if (!response.ok && response.status !== 304) {
    const body: ProblemBody = typeof parsed === 'object' && parsed !== null ? (parsed as ProblemBody) : { detail: String(parsed ?? '') };
    throw new ProblemError(response.status, body, response.headers.get('x-request-id'));
  }
  return { data: parsed as T, status: response.status, headers: response.headers };
}

/** 250 ms, 500 ms, 1 s…, with jitter, so many clients retrying after one outage do not arrive together. */
export function backoff(attempt: number): number {
  return Math.min(MAX_RETRY_WAIT_MS, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

function retryAfter(response: Response): number | undefined {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(MAX_RETRY_WAIT_MS, seconds * 1000) : undefined;
}

export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
