import { problemsOf } from '@backlot/testing/config-problems';
import { loadConfig } from './load-config';
import { defaultThumbsConcurrency } from './thumbs-config';

describe('thumbnails (loadConfig)', () => {
  it('defaults to 50 megapixels, a queue of 100, 30 s a render, and one render per spare core (at most 3)', () => {
    const config = loadConfig({ NODE_ENV: 'test' });

    expect(config.thumbs).toEqual({
      maxInputPixels: 50_000_000,
      concurrency: defaultThumbsConcurrency(),
      maxQueue: 100,
      timeoutSeconds: 30,
      memoryBytes: 16 * 1024 * 1024,
    });
    expect([1, 2, 4, 64].map((cores) => defaultThumbsConcurrency(cores))).toEqual([1, 1, 3, 3]);
  });

  it('reads THUMBS_* and refuses values out of range', () => {
    const env = { NODE_ENV: 'test', THUMBS_MAX_INPUT_PIXELS: '20000000', THUMBS_CONCURRENCY: '2', THUMBS_MAX_QUEUE: '0' };
    expect(loadConfig({ ...env, THUMBS_TIMEOUT_SECONDS: '5', THUMBS_MEMORY_BYTES: '0' }).thumbs).toEqual({
      maxInputPixels: 20_000_000,
      concurrency: 2,
      maxQueue: 0,
      timeoutSeconds: 5,
      memoryBytes: 0,
    });
    expect(
      problemsOf({
        NODE_ENV: 'test',
        THUMBS_MAX_INPUT_PIXELS: '1000',
        THUMBS_CONCURRENCY: '0',
        THUMBS_MAX_QUEUE: '-1',
        THUMBS_TIMEOUT_SECONDS: 'soon',
        THUMBS_MEMORY_BYTES: '-1',
      }),
    ).toEqual([
      'THUMBS_MAX_INPUT_PIXELS: must be an integer from 1000000 to 1000000000 (got "1000")',
      'THUMBS_CONCURRENCY: must be an integer from 1 to 64 (got "0")',
      'THUMBS_MAX_QUEUE: must be an integer from 0 to 100000 (got "-1")',
      'THUMBS_TIMEOUT_SECONDS: must be an integer from 1 to 3600 (got "soon")',
      'THUMBS_MEMORY_BYTES: must be an integer from 0 to 1073741824 (got "-1")',
    ]);
  });
});
