import net from 'node:net';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

interface IntRange {
  min?: number;
  max?: number;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);
const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
};

/**
 * Reads typed values and collects every problem, so one start reports all bad
 * variables at once instead of one per restart.
 */
export function readEnv(env: NodeJS.ProcessEnv) {
  const problems: string[] = [];
  const warnings: string[] = [];
  const raw = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const fail = <T>(name: string, value: string, expected: string, fallback: T): T => {
    problems.push(`${name}=${JSON.stringify(value)} is not valid: expected ${expected}`);
    return fallback;
  };

  const optionalInt = (name: string, range: IntRange = {}): number | undefined => {
    const value = raw(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
    if (!/^-?\d+$/.test(value) || n < min || n > max) {
      return fail(name, value, `an integer from ${min} to ${max}`, undefined);
    }
    return n;
  };

  return {
    warnings,
    /**
     * For standard OTEL_* variables: the specification asks that a bad value
     * be a warning and ignored, not a reason to stop.
     */
    lenientInt(name: string, range: IntRange = {}): number | undefined {
      const before = problems.length;
      const value = optionalInt(name, range);
      for (const problem of problems.splice(before)) warnings.push(`${problem}; ignored`);
      return value;
    },
    string: (name: string, fallback: string): string => raw(name) ?? fallback,
    optionalString(name: string, opts: { minLength?: number } = {}): string | undefined {
      const value = raw(name);
      if (value !== undefined && opts.minLength && value.length < opts.minLength) {
        return fail(name, '…', `at least ${opts.minLength} characters`, undefined);
      }
      return value;
    },
    int: (name: string, fallback: number, range: IntRange = {}): number =>
      optionalInt(name, range) ?? fallback,
    optionalInt,
    /** `expected` is for a variable that also takes something else (TRUST_PROXY: a number). */
    bool(
      name: string,
      fallback: boolean,
      expected = 'true or false (also 1/0, yes/no, on/off)',
    ): boolean {
      const value = raw(name);
      if (value === undefined) return fallback;
      if (TRUE.has(value.toLowerCase())) return true;
      if (FALSE.has(value.toLowerCase())) return false;
      return fail(name, value, expected, fallback);
    },
    oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
      const value = raw(name);
      if (value === undefined) return fallback;
      const lower = value.toLowerCase() as T;
      if (allowed.includes(lower)) return lower;
      return fail(name, value, `one of ${allowed.join(', ')}`, fallback);
    },
    list(name: string, fallback: string[], allowed: readonly string[]): string[] {
      const value = raw(name);
      if (value === undefined) return fallback;
      const items = value
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean);
      const bad = items.filter((i) => !allowed.includes(i));
      if (bad.length > 0)
        return fail(name, value, `a comma list of ${allowed.join(', ')}`, fallback);
      return items;
    },
    numberList(name: string, fallback: number[]): number[] {
      const value = raw(name);
      if (value === undefined) return fallback;
      const items = value.split(',').map((s) => Number(s.trim()));
      const sorted = items.every(
        (n, i) => Number.isFinite(n) && n > 0 && (i === 0 || n > items[i - 1]!),
      );
      if (!sorted || items.length === 0) {
        return fail(name, value, 'a comma list of increasing positive numbers', fallback);
      }
      return items;
    },
    optionalUrl(name: string, protocols: readonly string[]): string | undefined {
      const value = raw(name);
      if (value === undefined) return undefined;
      try {
        const url = new URL(value);
        if (protocols.includes(url.protocol)) return value;
      } catch {
        // fall through to the error below
      }
      return fail(name, value, `a URL starting with ${protocols.join(' or ')}//`, undefined);
    },
    path(name: string, fallback: string): string {
      const value = raw(name);
      if (value === undefined) return fallback;
      if (!/^\/[A-Za-z0-9._~\-/]*$/.test(value)) {
        return fail(name, value, 'a path starting with / (letters, digits, . _ ~ - /)', fallback);
      }
      return value;
    },
    bytes(name: string, fallback: number): number {
      const value = raw(name);
      if (value === undefined) return fallback;
      const match = /^(\d+)\s*([a-z]*)$/i.exec(value);
      const unit = match ? BYTE_UNITS[match[2]!.toLowerCase()] : undefined;
      if (!match || unit === undefined || Number(match[1]) <= 0) {
        return fail(name, value, 'a positive size such as 1048576, 512kb or 50mb', fallback);
      }
      return Number(match[1]) * unit;
    },
    cidrList(name: string): string[] {
      const value = raw(name);
      if (value === undefined) return [];
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = items.filter((item) => {
        const [addr, bits, ...rest] = item.split('/');
        const family = net.isIP(addr ?? '');
        if (family === 0 || rest.length > 0) return true;
        if (bits === undefined) return false;
        const n = Number(bits);
        return !/^\d+$/.test(bits) || n > (family === 4 ? 32 : 128);
      });
      if (bad.length > 0) {
        return fail(name, value, 'a comma list of IP addresses or CIDR ranges', []);
      }
      return items;
    },
    finish(): void {
      if (problems.length > 0) throw new ConfigError(problems);
    },
  };
}

export type EnvReader = ReturnType<typeof readEnv>;
