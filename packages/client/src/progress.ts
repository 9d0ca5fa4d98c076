/** Bytes of a request body sent so far, of `total`. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

export type ProgressListener = (progress: UploadProgress) => void;

interface ProgressRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Blob | FormData;
  credentials?: RequestCredentials;
  signal?: AbortSignal;
}

/**
 * Sends a body and reports its bytes as they leave. fetch() tells nothing of an upload's
 * progress, so browsers send through XMLHttpRequest (its upload events); runtimes without it
 * (Node, Deno, Bun) stream the body through a counter, which fetch there accepts as a request body.
 * Answers a Response either way, so the caller reads it like any other.
 */
export function sendWithProgress(fetchImpl: typeof fetch, request: ProgressRequest, listener: ProgressListener): Promise<Response> {
  if (typeof XMLHttpRequest === 'function') return sendWithXhr(request, listener);
  if (!streamsRequestBodies()) return sendWhole(fetchImpl, request, listener);
  const body = request.body instanceof FormData ? multipart(request.body) : { blob: request.body, type: undefined };
  const total = body.blob.size;
  let loaded = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      loaded += chunk.byteLength;
      controller.enqueue(chunk);
      listener({ loaded, total });
    },
  });
  const headers = { ...request.headers, 'content-length': String(total), ...(body.type && { 'content-type': body.type }) };
  if (total === 0) listener({ loaded: 0, total: 0 });
  const init = { method: request.method, headers, credentials: request.credentials, signal: request.signal, duplex: 'half' };
  return fetchImpl(request.url, { ...init, body: body.blob.stream().pipeThrough(counter) } as RequestInit);
}

/**
 * Node, Deno and Bun send a stream as a request body over HTTP/1.1. A browser worker (no
 * XMLHttpRequest there) may not: Chromium streams only over HTTP/2, Firefox and Safari not at all.
 */
function streamsRequestBodies(): boolean {
  const runtime = globalThis as { process?: { versions?: { node?: string } }; Deno?: unknown; Bun?: unknown };
  return Boolean(runtime.process?.versions?.node || runtime.Deno || runtime.Bun);
}

/** Without a way to count bytes as they leave: one report, when the answer has come. */
async function sendWhole(fetchImpl: typeof fetch, request: ProgressRequest, listener: ProgressListener): Promise<Response> {
  const { url, body, ...init } = request;
  const response = await fetchImpl(url, { ...init, body });
  const parts = body instanceof Blob ? [body] : [...body.values()];
  const size = parts.reduce((sum, part) => sum + (typeof part === 'string' ? part.length : part.size), 0);
  listener({ loaded: size, total: size });
  return response;
}

function sendWithXhr(request: ProgressRequest, listener: ProgressListener): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(request.method, request.url);
    for (const [name, value] of Object.entries(request.headers)) xhr.setRequestHeader(name, value);
    xhr.withCredentials = request.credentials === 'include';
    xhr.responseType = 'text';
    xhr.upload.onprogress = (event) =>
      listener({
        loaded: event.loaded,
        total: event.lengthComputable ? event.total : request.body instanceof Blob ? request.body.size : event.loaded,
      });
    // fetch() rejects with a TypeError on a network failure: the same here, so the caller's retry rules apply.
    const abort = () => xhr.abort();
    xhr.onloadend = () => request.signal?.removeEventListener('abort', abort);
    xhr.onerror = () => reject(new TypeError('Network error while uploading'));
    xhr.onabort = () => reject(request.signal?.reason ?? new DOMException('The upload was aborted', 'AbortError'));
    xhr.onload = () =>
      resolve(
        new Response(nullBodyStatus(xhr.status) ? null : xhr.responseText, {
          status: xhr.status,
          headers: parseHeaders(xhr.getAllResponseHeaders()),
        }),
      );
    if (request.signal?.aborted) return reject(request.signal.reason);
    request.signal?.addEventListener('abort', abort, { once: true });
    xhr.send(request.body);
  });
}

function nullBodyStatus(status: number): boolean {
  return status === 204 || status === 205 || status === 304;
}

function parseHeaders(text: string): Headers {
  const headers = new Headers();
  for (const line of text.trim().split(/[\r\n]+/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * A form as one Blob of known size, its files referenced rather than copied (a Blob of Blobs),
 * so a large file is read as it is sent. Names are escaped as browsers escape them.
 */
function multipart(form: FormData): { blob: Blob; type: string } {
  const boundary = `----backlot${globalThis.crypto.randomUUID().replace(/-/g, '')}`;
  const escape = (text: string) => text.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const parts: BlobPart[] = [];
  for (const [name, value] of form.entries()) {
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${escape(name)}"`);
    if (typeof value === 'string') parts.push(`\r\n\r\n${value}\r\n`);
    else {
      const type = value.type || 'application/octet-stream';
      parts.push(`; filename="${escape(value.name)}"\r\nContent-Type: ${type}\r\n\r\n`, value, '\r\n');
    }
  }
  parts.push(`--${boundary}--\r\n`);
  return { blob: new Blob(parts), type: `multipart/form-data; boundary=${boundary}` };
}
