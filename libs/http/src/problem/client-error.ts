import type { Socket } from 'node:net';
import { PROBLEM_CONTENT_TYPE, problemType, statusTitle } from './problem';

const CLIENT_ERRORS: Record<string, { status: number; slug: string; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, slug: 'request-timeout', detail: 'The request was not received in time.' },
  HPE_HEADER_OVERFLOW: { status: 431, slug: 'headers-too-large', detail: 'The request headers exceed the allowed size.' },
};
const MALFORMED = { status: 400, slug: 'malformed-request', detail: 'The request is not valid HTTP.' };

/**
 * Requests Node's HTTP parser rejects (garbage, oversized headers, timeouts) never reach
 * Fastify or Nest; answer them as problem+json too, then close the connection.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, slug, detail } = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED;
  const body = JSON.stringify({ type: problemType(slug), title: statusTitle(status), status, detail });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${statusTitle(status)}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
