import { STATUS_CODES } from 'node:http';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://backlot.dev/problems/';

/** RFC 9457 problem details, plus the members Backlot always adds. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: { path: string; code: string; message: string }[];
  [extension: string]: unknown;
}

export function problemType(slug: string): string {
  return `${PROBLEM_TYPE_BASE}${slug}`;
}

export function statusTitle(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}
