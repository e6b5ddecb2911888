/**
 * The shape of the code itself: no import cycles between our modules, and no
 * reaching into a dependency's internal files. Both are easy to reintroduce
 * one import at a time and costly to untangle later, so they are checked on
 * every run from the TypeScript sources.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { projectRoot } from '../../src/paths';

const APP_DIRS = ['src', 'otel', 'tasks'];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(projectRoot, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(relative));
    else if (entry.name.endsWith('.ts')) out.push(relative);
  }
  return out;
}

/** Every module specifier in a file: static imports, re-exports and import(). */
function specifiers(file: string): string[] {
  const text = fs.readFileSync(path.join(projectRoot, file), 'utf8');
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'([^']+)'/gm;
  return [...text.matchAll(pattern)].map((match) => match[1] ?? '');
}

function resolveLocal(from: string, specifier: string, known: Set<string>): string | undefined {
  const base = path.normalize(path.join(path.dirname(from), specifier)).replace(/\.js$/, '');
  return [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => known.has(candidate));
}

function importGraph(): Map<string, string[]> {
  const files = APP_DIRS.flatMap(sourceFiles);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const local = specifiers(file)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolveLocal(file, s, known))
      .filter((resolved): resolved is string => resolved !== undefined);
    graph.set(file, local);
  }
  return graph;
}

/** One cycle per strongly connected component with more than one module (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

test('no import cycles between the modules of src, otel and tasks', (t) => {
  const graph = importGraph();
  t.true(graph.size > 100, 'the sources were found');
  t.true(
    graph.get(path.join('src', 'web', 'app.ts'))?.includes(path.join('src', 'feeds', 'routes.ts')),
    'the graph sees app.ts mount the feed routes',
  );
  t.deepEqual(cycles(graph), []);
});

test("no import of a package's internal modules (lib/, dist/, build/, src/)", (t) => {
  const internal = /^(?:@[^/]+\/)?[^./][^/]*\/(?:lib|dist|build|src|esm|cjs)(?:\/|$)/;
  const offenders = APP_DIRS.flatMap(sourceFiles).flatMap((file) =>
    specifiers(file)
      .filter((s) => internal.test(s))
      .map((s) => `${file}: ${s}`),
  );
  t.deepEqual(offenders, []);
});
