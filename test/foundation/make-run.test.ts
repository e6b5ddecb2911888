/**
 * `make run` as a person starts it: from a directory only its owner may
 * enter (in CI that owner is root, so PostgreSQL's `postgres` user may not),
 * configured by a `.env` file there, stopped with Ctrl-C, which a terminal
 * sends to its whole foreground process group.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { projectRoot } from '../../src/paths';
import { TestClient } from '../helpers/client';
import { freePort } from '../helpers/ports';
import { postgresProcessesFor, spawnApp } from '../helpers/process';

const asRoot = process.getuid?.() === 0;

/** A 0700 directory (mkdtemp's mode) removed afterwards, with the cluster it may have linked. */
function privateDir(t: ExecutionContext, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => {
    const link = path.join(dir, 'data', 'postgres');
    // A server a failed test left running: stopped at once, by its pid.
    const pid = Number(readFirstLine(path.join(link, 'postmaster.pid')));
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // already gone
      }
    }
    if (fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) {
      fs.rmSync(fs.realpathSync(link), { recursive: true, force: true });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function readFirstLine(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n')[0] ?? '';
  } catch {
    return '';
  }
}

function collect(child: ChildProcess) {
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const waitFor = async (pattern: RegExp, timeoutMs = 90_000): Promise<RegExpExecArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(text);
      if (match) return match;
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no ${pattern} in the output:\n${text.slice(-4000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return { output: () => text, exited, waitFor };
}

test('make run: as root from a 0700 directory, configured by .env, stopped cleanly by Ctrl-C', async (t) => {
  const dir = privateDir(t, 'pebbling-run-');
  // The checkout itself inside the 0700 directory, node_modules included (as a
  // clone in /root has it): hard links, since a copy of node_modules is slow.
  // Symbolic links would not do: Node resolves them, and the programs would
  // run from where they point.
  for (const name of [
    'Makefile',
    'package.json',
    'package-lock.json',
    'src',
    'node_modules',
    'dist',
  ]) {
    execFileSync('cp', ['-al', path.join(projectRoot, name), path.join(dir, name)]);
  }
  // Node's compile cache may be rewritten in place: not through a link to ours.
  fs.rmSync(path.join(dir, 'node_modules', '.cache'), { recursive: true, force: true });
  // A page on a private address: only FETCH_ALLOW_PRIVATE_NETWORKS from .env lets the worker read it.
  const pages = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><head><title>Found on a private address</title></head><body>hi</body></html>');
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  t.teardown(() => pages.close());
  const pageUrl = `http://127.0.0.1:${(pages.address() as { port: number }).port}/page`;

  const port = await freePort();
  const settings = {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: './data',
    WORKER_METRICS_PORT: '0',
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
    LOG_LEVEL: 'info',
  };
  fs.writeFileSync(
    path.join(dir, '.env'),
    `# as a person writes it\n${Object.entries(settings)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  // Nothing of the test's own environment may stand in for the file.
  const env = { ...process.env };
  for (const name of [
    ...Object.keys(settings),
    'DATABASE_URL',
    'ENV_FILE',
    'MAKEFLAGS',
    'MAKELEVEL',
  ]) {
    delete env[name];
  }

  // detached: a process group of its own, as a terminal gives its foreground job.
  const make = spawn('make', ['-o', 'dist/.build-stamp', 'run'], { cwd: dir, env, detached: true });
  t.teardown(() => {
    if (make.exitCode === null && make.signalCode === null) process.kill(-make.pid!, 'SIGKILL');
  });
  const run = collect(make);
  const listening = await run.waitFor(
    /"url":"http:\/\/127\.0\.0\.1:(\d+)\/","msg":"web server listening"/,
  );
  t.is(Number(listening[1]), port, 'PORT came from .env');
  if (asRoot) {
    t.regex(
      run.output(),
      new RegExp(`the postgres user cannot enter ${dir}: the cluster lives in`),
    );
    const link = path.join(dir, 'data', 'postgres');
    t.true(fs.lstatSync(link).isSymbolicLink());
    t.true(fs.realpathSync(link).startsWith('/var/lib/pebbling-club/'));
    // Its programs are in node_modules, out of the postgres user's reach too: a copy of them runs.
    const copy =
      /PostgreSQL runs from a copy of its programs in (\/var\/lib\/pebbling-club\/postgresql-[^"]+)"/.exec(
        run.output(),
      )?.[1];
    t.truthy(copy, run.output());
    const server = postgresProcessesFor(fs.realpathSync(link)).join('\n');
    t.true(server.includes(path.join(copy!, 'bin', 'postgres')), server);
    for (const entry of [copy!, path.join(copy!, 'bin'), path.join(copy!, 'bin', 'postgres')]) {
      const stat = fs.statSync(entry);
      t.is(stat.uid, 0, `${entry} belongs to root`);
      t.is(stat.mode & 0o022, 0, `${entry} is writable by root alone`);
    }
    t.is(fs.statSync(dir).mode & 0o777, 0o700, 'the directory stays closed');
  }

  const person = new TestClient(`http://127.0.0.1:${port}`);
  t.is((await person.register('runner')).status, 302);
  t.is((await person.post('/bookmarks/new', { url: pageUrl })).status, 302);
  let list = '';
  for (let i = 0; i < 300 && !list.includes('Found on a private address'); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    list = (await person.get('/u/runner')).text;
  }
  t.regex(list, /Found on a private address/, 'the worker read .env too');

  // The CLI, from the same directory, finds the same .env and joins the same database.
  const cli = spawn(
    path.join(dir, 'node_modules', '.bin', 'node'),
    ['--require', './dist/otel/register.js', 'dist/src/cli/index.js', 'user:list', '--json'],
    { cwd: dir, env },
  );
  const listed = collect(cli);
  t.is(await listed.exited, 0, listed.output());
  t.regex(listed.output(), /"username": "runner"/);

  process.kill(-make.pid!, 'SIGINT'); // Ctrl-C
  // The app exits 0 once stopped; GNU make, interrupted too, then ends itself by SIGINT.
  const code = await run.exited;
  t.true(code === 0 || make.signalCode === 'SIGINT', `make: ${code ?? make.signalCode}`);
  const output = run.output();
  // In order, by their times (two lines written in the same millisecond may swap on the pipe).
  const times = ['shutting down', 'worker stopped', 'embedded PostgreSQL stopped', 'stopped'].map(
    (msg) =>
      Date.parse(new RegExp(`"time":"([^"]+)"[^\\n]*"msg":"${msg}"`).exec(output)?.[1] ?? ''),
  );
  t.false(times.some(Number.isNaN), output);
  t.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
  t.notRegex(output, /terminating connection|UNLISTEN|is not a function/);
  t.notRegex(output, /^\s+at /m, 'no stack trace');
  t.notRegex(output, /"level":(40|50|60)/, 'no warning or error logged');
  t.notRegex(output, /make: \*\*\*/);
  t.deepEqual(
    postgresProcessesFor(asRoot ? fs.realpathSync(path.join(dir, 'data', 'postgres')) : dir),
    [],
  );
});

test('a PostgreSQL left running by a killed process is adopted and stopped by the next', async (t) => {
  const dataDir = path.join(privateDir(t, 'pebbling-orphan-'), 'data');
  const env = { DATA_DIR: dataDir, DATABASE_URL: '', PORT: '0', WORKER_METRICS_PORT: '0' };
  const first = spawnApp(['web'], env);
  t.teardown(() => first.child.kill('SIGKILL'));
  await first.waitFor(/"msg":"web server listening"/);
  const cluster = fs.realpathSync(path.join(dataDir, 'postgres'));
  first.child.kill('SIGKILL');
  await first.exited;
  t.true(postgresProcessesFor(cluster).length > 0, 'its own process group: it outlives a SIGKILL');

  const second = spawnApp(['web'], env);
  t.teardown(() => second.child.kill('SIGKILL'));
  await second.waitFor(/"msg":"web server listening"/);
  t.regex(second.output(), /adopting the embedded PostgreSQL left running/);
  second.child.kill('SIGTERM');
  t.is(await second.exited, 0, second.output());
  t.deepEqual(postgresProcessesFor(cluster), []);
});

test('the default PostgreSQL port taken: the embedded server moves to another', async (t) => {
  // Whoever holds 5433 (this listener, or another test's server started first),
  // PostgreSQL cannot bind it; the app must start all the same.
  const holder = net.createServer();
  await new Promise<void>((resolve) => {
    holder.once('error', () => resolve());
    holder.listen(5433, '127.0.0.1', resolve);
  });
  t.teardown(() => holder.close());
  const dataDir = path.join(privateDir(t, 'pebbling-port-'), 'data');
  const app = spawnApp(['web'], {
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    PORT: '0',
    WORKER_METRICS_PORT: '0',
  });
  t.teardown(() => app.child.kill('SIGKILL'));
  await app.waitFor(/"msg":"web server listening"/, 120_000);
  t.regex(app.output(), /"port":5433[^\n]*"msg":"port taken: PostgreSQL tries another"/);
  const port = /"port":(\d+)[^\n]*"msg":"embedded PostgreSQL started"/.exec(app.output())?.[1];
  t.truthy(port, app.output());
  t.not(port, '5433');
  app.child.kill('SIGTERM');
  t.is(await app.exited, 0, app.output());
});

test('as root, an existing database the postgres user cannot reach: one line says what to change', async (t) => {
  if (!asRoot) {
    t.pass('only root runs PostgreSQL as another user');
    return;
  }
  const dir = privateDir(t, 'pebbling-blocked-');
  fs.mkdirSync(path.join(dir, 'data', 'postgres'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'data', 'postgres', 'PG_VERSION'), '18\n');
  const app = spawnApp(['all'], { DATA_DIR: path.join(dir, 'data'), DATABASE_URL: '', PORT: '0' });
  t.is(await app.exited, 1);
  const failure = app
    .output()
    .split('\n')
    .filter((line) => line.includes('failed to start'));
  t.is(failure.length, 1, app.output());
  t.is(
    failure[0],
    `pebbling-club failed to start: PostgreSQL runs as the "postgres" user, which cannot enter ${dir} (mode 0700), where the database ${path.join(dir, 'data', 'postgres')} is: set DATA_DIR to a directory outside it, run \`chmod o+x ${dir}\`, or set DATABASE_URL.`,
  );
  t.notRegex(app.output(), /^\s+at /m, 'no stack trace');
});
