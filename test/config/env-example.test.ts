/**
 * docs/configuration.md, .env.example and the code cannot drift apart: every
 * variable in the docs' tables is in .env.example under the same heading
 * (and the other way round), with the documented default where the docs
 * give a literal one, and every variable the code reads is documented.
 * Plain file reading: no app, no database.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { projectRoot } from '../../src/paths';

const read = (...parts: string[]) => fs.readFileSync(path.join(projectRoot, ...parts), 'utf8');

interface Documented {
  readonly group: string;
  /** The literal default the docs give, or `null` for "unset"/"generated", or undefined. */
  readonly default: string | null | undefined;
}

const VARIABLE = /`([A-Z][A-Z0-9_]*)`/g;

/** The literal a default cell starts with: `3000` → '3000'; unset → null; prose → undefined. */
function defaultOf(cell: string): string | null | undefined {
  if (/^(unset|generated)\b/.test(cell)) return null;
  const literal = /^`([^`]+)`/.exec(cell)?.[1];
  // An example (`0.005,…,10`) or another variable (`HOST`) is no literal default.
  if (literal === undefined || literal.includes('…') || /[A-Z]{2,}/.test(literal)) return undefined;
  return literal;
}

/** Variables in the first column of the tables headed `| variable |`, by "## heading / ### heading". */
function readDocs(): Map<string, Documented> {
  const found = new Map<string, Documented>();
  let section = '';
  let group = '';
  let inTable = false;
  for (const line of read('docs', 'configuration.md').split('\n')) {
    const heading = /^(#{2,3}) (.+)$/.exec(line);
    if (heading) {
      section = heading[1] === '##' ? heading[2]! : section;
      group = heading[1] === '##' ? section : `${section} / ${heading[2]}`;
    }
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    if (cells[0] === 'variable') inTable = true;
    if (!inTable || cells[0] === 'variable' || /^-+$/.test(cells[0]!)) continue;
    const names = [...cells[0]!.matchAll(VARIABLE)].map((m) => m[1]!);
    // "`60000`, `30000`" gives each variable of the row its own; otherwise
    // the cell's leading value is the first variable's.
    const parts = cells[1]!.split(/,\s+/);
    names.forEach((name, i) => {
      const cell = parts.length === names.length ? parts[i]! : i === 0 ? cells[1]! : '';
      found.set(name, { group, default: defaultOf(cell) });
    });
  }
  return found;
}

interface Example {
  readonly group: string;
  readonly value: string;
  readonly line: number;
}

/** `# NAME=value` (or uncommented) lines of .env.example, under `# === group ===` lines. */
function readExample(): Array<[string, Example]> {
  const found: Array<[string, Example]> = [];
  let group = '';
  read('.env.example')
    .split('\n')
    .forEach((line, i) => {
      const heading = /^# === (.+) ===$/.exec(line);
      if (heading) group = heading[1]!;
      const variable = /^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (variable) {
        const value = variable[2]!.replace(/^"(.*)"$/, '$1');
        found.push([variable[1]!, { group, value, line: i + 1 }]);
      }
    });
  return found;
}

/** Variables the code reads: process.env.X anywhere, and 'X' handed to a reader in src/config and otel/. */
function readCode(): Set<string> {
  const names = new Set<string>();
  const visit = (dir: string, readers: boolean) => {
    for (const entry of fs.readdirSync(path.join(projectRoot, dir), { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(file, readers || file === path.join('src', 'config'));
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const text = read(file);
      for (const m of text.matchAll(
        /process\.env(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g,
      ))
        names.add((m[1] ?? m[2])!);
      // r.int('PORT', …), getStringFromEnv('OTEL_…'), positive('OTEL_…')
      if (readers) for (const m of text.matchAll(/\w\(\s*'([A-Z][A-Z0-9_]*)'/g)) names.add(m[1]!);
    }
  };
  visit('src', false);
  visit('otel', true);
  visit('tasks', false);
  return names;
}

const unlisted = (what: string, names: string[]) => names.map((name) => `${name}: ${what}`);

test('every variable in docs/configuration.md is in .env.example, and nothing else is', (t) => {
  const documented = readDocs();
  const example = new Map(readExample());
  t.true(documented.size > 50, `the docs' tables were read (${documented.size} variables)`);
  t.deepEqual(
    [
      ...unlisted(
        'documented but not in .env.example',
        [...documented.keys()].filter((name) => !example.has(name)),
      ),
      ...unlisted(
        'in .env.example but not documented',
        [...example.keys()].filter((name) => !documented.has(name)),
      ),
    ],
    [],
  );
});

test('.env.example lists each variable once, grouped as the docs group it, with its default', (t) => {
  const documented = readDocs();
  const seen = new Set<string>();
  const problems: string[] = [];
  let defaultsChecked = 0;
  for (const [name, { group, value, line }] of readExample()) {
    const where = `${name} (.env.example line ${line})`;
    if (seen.has(name)) problems.push(`${where}: listed twice`);
    seen.add(name);
    const docs = documented.get(name);
    if (!docs) continue; // the test above names it
    if (group !== docs.group)
      problems.push(`${where}: under "${group}", the docs say "${docs.group}"`);
    if (docs.default === undefined) continue;
    defaultsChecked++;
    const expected = docs.default ?? '';
    if (value !== expected)
      problems.push(`${where}: shows "${value}", the docs' default is "${expected}"`);
  }
  t.deepEqual(problems, []);
  t.true(defaultsChecked > 40, `defaults compared: ${defaultsChecked}`);
});

test('every variable the code reads (src/, otel/, tasks/) is documented', (t) => {
  const documented = readDocs();
  const read = readCode();
  for (const name of ['PORT', 'FEED_ITEMS_RETAINED', 'OTEL_SDK_DISABLED', 'OTEL_LOG_LEVEL'])
    t.true(read.has(name), `the scan finds ${name}`);
  t.deepEqual(
    unlisted(
      'read by the code but not in docs/configuration.md',
      [...read].filter((name) => !documented.has(name)).sort(),
    ),
    [],
  );
});
