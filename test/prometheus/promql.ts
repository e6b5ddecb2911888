/**
 * Just enough PromQL, Markdown and YAML reading to check docs/prometheus
 * against docs/metrics.md. Not general parsers: they read the files we write.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/**
 * Metric names a PromQL expression selects. Grafana's `label_values(selector,
 * label)` is read as its selector.
 */
export function metricNames(expr: string): string[] {
  const selector = /^\s*label_values\(([\s\S]*),\s*[a-zA-Z_]\w*\s*\)\s*$/.exec(expr);
  const stripped = (selector ? selector[1]! : expr)
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = new Set<string>();
  // Not preceded by a digit or letter (1h, 1e3) and not followed by "(" (a function).
  for (const match of stripped.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (match[2] !== undefined || KEYWORDS.has(match[1]!.toLowerCase())) continue;
    names.add(match[1]!);
  }
  return [...names];
}

/**
 * Metric names documented in docs/metrics.md: the code-quoted names in the
 * first column of its tables. `{a,b}` expands, `*` matches any run of name
 * characters, and a histogram also allows its _bucket, _sum and _count series.
 */
export function documentedMetrics(markdown: string): RegExp[] {
  const patterns: RegExp[] = [];
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    // "| `name` | type | …": cells[0] is the empty text before the first pipe.
    if (cells.length < 4 || !cells[1]!.startsWith('`')) continue;
    const histogram = cells[2] === 'histogram';
    for (const quoted of cells[1]!.matchAll(/`([^`]+)`/g)) {
      for (const name of expandBraces(quoted[1]!)) {
        const body = name.split('*').map(escapeRegExp).join('[a-zA-Z0-9_]*');
        patterns.push(new RegExp(`^${body}${histogram ? '(?:_bucket|_sum|_count)?' : ''}$`));
      }
    }
  }
  return patterns;
}

function expandBraces(name: string): string[] {
  const match = /\{([^}]*)\}/.exec(name);
  if (!match) return [name];
  return match[1]!
    .split(',')
    .flatMap((part) =>
      expandBraces(name.slice(0, match.index) + part + name.slice(match.index + match[0].length)),
    );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The `expr:` values of a rule file as we format them: on one line, or as a
 * block scalar (`|`, `>-`) indented below the key.
 */
export function ruleExpressions(yaml: string): string[] {
  const lines = yaml.split('\n');
  const exprs: string[] = [];
  lines.forEach((line, index) => {
    const match = /^(\s*)(?:- )?expr:\s*(.*)$/.exec(line);
    if (!match) return;
    const value = match[2]!.replace(/\s+#.*$/, '');
    if (!/^[|>][-+]?$/.test(value)) {
      exprs.push(value);
      return;
    }
    const block: string[] = [];
    for (const next of lines.slice(index + 1)) {
      if (next.trim() !== '' && indentOf(next) <= match[1]!.length) break;
      block.push(next.trim());
    }
    exprs.push(block.join('\n').trim());
  });
  return exprs;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** Names defined by `record:` in a rule file. */
export function recordedNames(yaml: string): string[] {
  return [...yaml.matchAll(/^\s*- record:\s*(\S+)/gm)].map((m) => m[1]!);
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const match of markdown.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)) {
    anchors.add(
      match[1]!
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}

export const PROMTOOL =
  process.env.PROMTOOL ?? (fs.existsSync('/usr/bin/promtool') ? '/usr/bin/promtool' : 'promtool');

/** Runs the real promtool; rejects when it is not installed. */
export function promtool(args: string[], cwd?: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(PROMTOOL, args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (error && typeof error.code !== 'number') {
        reject(new Error(`cannot run ${PROMTOOL} (apt-get install prometheus): ${error.message}`));
        return;
      }
      resolve({ ok: error === null, output });
    });
  });
}
