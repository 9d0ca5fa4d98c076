/**
 * Test-only: reads the `engines.node` ranges found in Backlot's dependency tree — alternatives
 * joined by `||`, each `>=X[.Y[.Z]]`, `^X[.Y[.Z]]` or `>=X[.Y[.Z]] <X[.Y[.Z]]` — without a semver
 * dependency. Any other form throws, so a dependency that starts using one is noticed rather
 * than waved through.
 */
type Version = [number, number, number];
interface Interval {
  from: Version;
  /** Exclusive upper bound; absent for `>=`. */
  below?: Version;
}

const COMPARATOR = /^(>=|\^)\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/;
const BOUNDED = /^>=\s*(\d+(?:\.\d+){0,2})\s+<\s*(\d+(?:\.\d+){0,2})$/;

export function parseNodeRange(range: string): Interval[] {
  return range.split('||').map((part) => {
    const bounded = BOUNDED.exec(part.trim());
    if (bounded) return { from: padded(bounded[1]), below: padded(bounded[2]) };
    const match = COMPARATOR.exec(part.trim());
    if (!match) throw new Error(`engines.node "${range}": "${part.trim()}" is not a form this check reads (>=X, ^X or >=X <Y).`);
    const [, operator, major, minor, patch] = match;
    const from: Version = [Number(major), Number(minor ?? 0), Number(patch ?? 0)];
    return operator === '>=' ? { from } : { from, below: caretCeiling(from, minor === undefined, patch === undefined) };
  });
}

/** `20.19` as [20, 19, 0]. */
function padded(version: string): Version {
  const [major, minor, patch] = version.split('.').map(Number);
  return [major, minor ?? 0, patch ?? 0];
}

/** semver's caret: the first non-zero part given may not change (`^0.4` < 0.5.0, `^0.0` < 0.1.0). */
function caretCeiling([major, minor, patch]: Version, noMinor: boolean, noPatch: boolean): Version {
  if (major > 0 || noMinor) return [major + 1, 0, 0];
  if (minor > 0 || noPatch) return [0, minor + 1, 0];
  return [0, 0, patch + 1];
}

export function parseVersion(version: string): Version {
  const match = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) throw new Error(`"${version}" is not a plain version.`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

export function admits(range: string, version: string): boolean {
  const v = parseVersion(version);
  return parseNodeRange(range).some(({ from, below }) => compare(v, from) >= 0 && (!below || compare(v, below) < 0));
}

/** The lowest version of each alternative: a range supports a Node line only if it admits its start. */
export function lowestVersions(range: string): string[] {
  return parseNodeRange(range).map(({ from }) => from.join('.'));
}
