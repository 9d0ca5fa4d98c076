const SENSITIVE_PARAM = /token|ticket|key|secret|password|code|signature/i;

/** Query strings can carry one-time tokens (reset links, SSE tickets): keep names, drop values. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  // Runs for every request's access-log line: a URL with no sensitive name is returned as it is.
  const pairs = url.slice(queryStart + 1).split('&');
  if (!pairs.some((pair) => SENSITIVE_PARAM.test(paramName(pair)))) return url;
  // Each pair is kept byte for byte unless its (decoded) name is sensitive, so the log shows what was sent.
  const query = pairs.map((pair) => (SENSITIVE_PARAM.test(paramName(pair)) ? `${pair.split('=', 1)[0]}=[redacted]` : pair)).join('&');
  return `${url.slice(0, queryStart)}?${query}`;
}

/** A pair's name as a server reads it; only a name with an escape or a `+` needs decoding. */
function paramName(pair: string): string {
  const end = pair.indexOf('=');
  const raw = end === -1 ? pair : pair.slice(0, end);
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  return new URLSearchParams(`${raw}=`).keys().next().value ?? raw;
}
