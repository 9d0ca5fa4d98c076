import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { admits, lowestVersions } from '@backlot/testing/node-range';

const root = join(__dirname, '..', '..');
const readJson = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8'));

interface LockEntry {
  version: string;
  engines?: { node?: string };
}

describe('Node engines of the dependencies', () => {
  const manifest = readJson('package.json');
  const lock: { packages: Record<string, LockEntry> } = readJson('package-lock.json');
  const direct = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
  const supported: string[] = lowestVersions(manifest.engines.node);

  // The lock file, not node_modules: it is what a fresh `npm ci` installs and checks.
  it('every direct dependency accepts the lowest Node version Backlot declares', () => {
    const excluding = direct.flatMap((name) => {
      const entry = lock.packages[`node_modules/${name}`];
      const range = entry.engines?.node;
      const refused = range ? supported.filter((version) => !admits(range, version)) : [];
      return refused.length > 0 ? [`${name}@${entry.version} requires node ${range}, Backlot declares ${manifest.engines.node}`] : [];
    });
    expect(excluding).toEqual([]);
  });

  it('reads the range forms the dependencies use', () => {
    expect(admits('^20.19.0 || >=22.12.0', '20.19.0')).toBe(true);
    expect(admits('^20.19.0 || >=22.12.0', '20.18.9')).toBe(false);
    expect(admits('^20.19.0 || >=22.12.0', '21.0.0')).toBe(false);
    expect(admits('^20.19.0 || >=22.12.0', '22.12.0')).toBe(true);
    expect(admits('^16 || ^18 || >=20', '19.9.9')).toBe(false);
    expect(admits('>= 20.11', '20.19.0')).toBe(true);
    expect(admits('>=22', '20.20.2')).toBe(false);
    expect(admits('^0.4', '0.5.0')).toBe(false);
    expect(admits('>=22.12.0 || >=20.19.0 <21.0.0', '20.19.0')).toBe(true);
    expect(admits('>=22.12.0 || >=20.19.0 <21.0.0', '21.1.0')).toBe(false);
    expect(admits('>=22.12.0 || >=20.19.0 <21.0.0', '20.18.0')).toBe(false);
    expect(lowestVersions('>=20.19')).toEqual(['20.19.0']);
    expect(lowestVersions('^20.19 || >=22.12')).toEqual(['20.19.0', '22.12.0']);
  });

  it('refuses a range form it cannot read instead of passing it', () => {
    expect(() => admits('~20.19 || 22.x', '20.19.0')).toThrow('is not a form this check reads');
  });
});
