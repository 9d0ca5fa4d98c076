import { urlProblem } from './input-limits';

describe('urlProblem', () => {
  it('lets plain and well-encoded URLs through', () => {
    expect(urlProblem('/api/v1/records?filter=title%20%3D%20%27%C3%A9%27')).toBeUndefined();
    expect(urlProblem('/api/v1/records?q=%F0%9F%98%80')).toBeUndefined();
  });

  it('tolerates a lone % that starts no escape, as the query parser does', () => {
    expect(urlProblem('/api/v1/records?q=50%')).toBeUndefined();
  });

  it('refuses an encoded or raw NUL anywhere', () => {
    expect(urlProblem('/api/v1/admin/backups?x=%00')?.errors[0].code).toBe('nulCharacter');
    expect(urlProblem('/api/v1/collections/a%00b')?.errors[0].code).toBe('nulCharacter');
    expect(urlProblem('/api/v1/x?y=a\u0000')?.errors[0].code).toBe('nulCharacter');
  });

  it('refuses percent-encoded bytes that are not UTF-8, such as an encoded surrogate half', () => {
    expect(urlProblem('/api/v1/x?q=%ED%A0%BD')?.errors[0].code).toBe('malformedEncoding');
    expect(urlProblem('/api/v1/x?q=%FF')?.errors[0].code).toBe('malformedEncoding');
  });
});

describe('urlProblem names where the bad text is', () => {
  it('names the query parameter', () => {
    expect(urlProblem("/api/v1/records?limit=5&filter=title%20%3D%20'a%00b'")?.errors[0]).toMatchObject({ path: 'filter' });
    expect(urlProblem('/api/v1/records?q=%ED%A0%BD')?.errors[0]).toMatchObject({ path: 'q', code: 'malformedEncoding' });
  });

  it('names the path', () => {
    expect(urlProblem('/api/v1/collections/%00/records?limit=5')?.errors[0]).toMatchObject({ path: '(path)' });
  });
});
