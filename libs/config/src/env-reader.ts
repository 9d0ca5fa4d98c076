/**
 * Reads environment variables into typed values, collecting every problem instead of
 * stopping at the first, so a misconfigured deployment learns everything in one start.
 */
export class EnvReader {
  readonly problems: string[] = [];
  /** Problems that do not stop this start (development), logged when it begins. */
  readonly warnings: string[] = [];

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string, check?: (value: string) => string | undefined): string | undefined {
    const value = this.raw(name);
    if (value === undefined || !check) return value;
    const problem = check(value);
    if (problem) this.problems.push(`${name}: ${problem}`);
    return problem ? undefined : value;
  }

  int(name: string, fallback: number, { min, max }: { min: number; max: number }): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name}: must be an integer from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  }

  /** A decimal number (no exponent) from min to max. */
  decimal(name: string, fallback: number, { min, max }: { min: number; max: number }): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+(\.\d+)?$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name}: must be a number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    this.problems.push(`${name}: must be true or false (got "${value}")`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name}: must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  }

  list(name: string): string[] {
    return (this.raw(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }

  url(name: string, protocols: readonly string[]): string | undefined {
    return this.optional(name, (value) => {
      try {
        const { protocol, hostname } = new URL(value);
        if (!protocols.includes(protocol)) return `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`;
        if (!hostname) return 'has no host';
        return undefined;
      } catch {
        return 'is not a valid URL';
      }
    });
  }

  fail(name: string, problem: string): void {
    this.problems.push(`${name}: ${problem}`);
  }

  warn(name: string, problem: string): void {
    this.warnings.push(`${name}: ${problem}`);
  }
}
