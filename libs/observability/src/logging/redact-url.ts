const SENSITIVE_PARAM = /token|ticket|key|secret|password|code|signature/i;

/** Query strings can carry one-time tokens (reset links, SSE tickets): keep names, drop values. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const [name] of params) if (SENSITIVE_PARAM.test(name)) params.set(name, '[redacted]');
  return `${url.slice(0, queryStart)}?${params.toString()}`;
}
