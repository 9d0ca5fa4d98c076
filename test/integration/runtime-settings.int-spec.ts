import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The one list of production runtime settings, spelled out where a file cannot import it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtime = require('../../scripts/runtime-settings') as { NODE_FLAGS: string[]; ENV: Record<string, string> };
const ROOT = join(__dirname, '..', '..');

describe('the production runtime settings are the same wherever the server is started', () => {
  const flags = runtime.NODE_FLAGS.join(' ');
  const env = Object.entries(runtime.ENV).map(([name, value]) => `${name}=${value}`);

  it('the Dockerfile sets them for its CMD', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`NODE_OPTIONS="${flags}"`);
    for (const setting of env) expect(dockerfile).toContain(setting);
  });

  it('npm run start:prod sets them, and npm start passes the heap flags (portable to every shell)', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start:prod']).toBe(`${env.join(' ')} node ${flags} dist/apps/api/src/main.js`);
    expect(scripts.start).toBe(`node ${flags} dist/apps/api/src/main.js`);
  });
});
