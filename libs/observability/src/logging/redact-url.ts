const SENSITIVE_PARAM = /token|ticket|key|secret|password|code|signature/i;

/** Query strings can carry one-time tokens (reset links, SSE tickets): keep names, drop values. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  // Each pair is kept byte for byte unless its (decoded) name is sensitive, so the log shows what was sent.
  const query = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const rawName = pair.split('=', 1)[0];
      const [name = rawName] = new URLSearchParams(pair).keys();
      return SENSITIVE_PARAM.test(name) ? `${rawName}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, queryStart)}?${query}`;
}
