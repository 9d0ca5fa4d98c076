import { ImportFailures, MAX_LISTED } from './import-failures';

describe('ImportFailures', () => {
  it('counts every failure but lists only the first 100 lines', () => {
    const failures = new ImportFailures();
    for (let line = 1; line <= 250; line++) failures.add({ line, errors: [{ path: 'title', code: 'type', message: 'must be string' }] });
    expect(failures.lines).toBe(250);
    expect(failures.listed).toHaveLength(MAX_LISTED);
    expect(failures.listed[0].line).toBe(1);
  });

  it('becomes a 422 with the line in each path, at most 100 errors, and the totals', () => {
    const failures = new ImportFailures();
    failures.add({ line: 3, errors: [{ path: '(record)', code: 'invalidJson', message: 'not valid JSON' }] });
    for (let line = 4; line < 150; line++)
      failures.add({
        line,
        errors: [
          { path: 'title', code: 'type', message: 'must be string' },
          { path: 'meta.a', code: 'type', message: 'must be number' },
        ],
      });
    const refusal = failures.refusal();
    expect(refusal.errors).toHaveLength(100);
    expect(refusal.errors.slice(0, 3).map((e) => e.path)).toEqual(['line 3', 'line 4.title', 'line 4.meta.a']);
    expect(refusal.extensions).toEqual({ failedLines: 147, errorCount: 293 });
    expect(refusal.message).toBe('Nothing was imported: 147 line(s) failed. The first 100 of 293 errors are listed.');
  });
});
