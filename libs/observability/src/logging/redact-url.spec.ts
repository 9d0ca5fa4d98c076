import { redactUrl } from './redact-url';

describe('redactUrl', () => {
  it('returns a URL without a query string unchanged', () => {
    expect(redactUrl('/api/v1/reset-password/abc')).toBe('/api/v1/reset-password/abc');
  });

  it.each(['token', 'ticket', 'key', 'secret', 'password', 'code', 'signature'])(
    'drops the value of a %s parameter but keeps its name',
    (name) => {
      const result = redactUrl(`/api/v1/things?${name}=s3cr3t-value&page=2`);

      expect(result).not.toContain('s3cr3t-value');
      expect(result).toBe(`/api/v1/things?${name}=[redacted]&page=2`);
    },
  );

  it('matches sensitive names case-insensitively and as part of a longer name', () => {
    const result = redactUrl('/sse?access_token=t1&X-Api-Key=k1&oauthCode=c1&resetPassword=p1');

    expect(result).toBe('/sse?access_token=[redacted]&X-Api-Key=[redacted]&oauthCode=[redacted]&resetPassword=[redacted]');
  });

  it('keeps the path and the other parameters exactly as sent', () => {
    expect(redactUrl('/api/v1/things?q=a%20b&redirect=/x/y&token=t&sort=-name')).toBe(
      '/api/v1/things?q=a%20b&redirect=/x/y&token=[redacted]&sort=-name',
    );
  });

  it('leaves a query without sensitive parameters untouched', () => {
    expect(redactUrl('/api/v1/things?page=2&limit=50&filter=name%3Dada')).toBe('/api/v1/things?page=2&limit=50&filter=name%3Dada');
  });

  it('redacts every occurrence of a repeated parameter', () => {
    const result = redactUrl('/a?token=t1&x=1&token=t2');

    expect(result).not.toMatch(/t1|t2/);
    expect(result).toContain('x=1');
  });

  it('recognises a percent-encoded parameter name', () => {
    expect(redactUrl('/a?%74oken=hidden')).not.toContain('hidden');
  });
});
