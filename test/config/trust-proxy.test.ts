/**
 * TRUST_PROXY takes a flag or a number of proxies, and a value that is
 * neither stops the app (exit 2) with a message naming both. Plain config
 * reading, and one start that stops before anything else (no database).
 */
import test from 'ava';
import { ConfigError, loadConfig } from '../../src/config';
import { spawnApp } from '../helpers/process';

const hops = (value: string) => loadConfig({ TRUST_PROXY: value }).security.trustProxyHops;

const EXPECTED =
  'expected true or false (also yes/no, on/off), or the number of proxies from 0 to 10';

test('a flag is one proxy or none; a number is that many', (t) => {
  for (const [value, expected] of [
    ['true', 1],
    ['on', 1],
    ['false', 0],
    ['no', 0],
    ['0', 0],
    ['1', 1],
    ['2', 2],
    [' 10 ', 10],
  ] as const) {
    t.is(hops(value), expected, value);
  }
  t.is(loadConfig({}).security.trustProxyHops, 0, 'off by default');
});

test('a value that is neither says that a number is taken too', (t) => {
  const error = t.throws(() => hops('abc'), { instanceOf: ConfigError });
  t.deepEqual(error?.problems, [`TRUST_PROXY="abc" is not valid: ${EXPECTED}`]);
  const tooMany = t.throws(() => hops('11'), { instanceOf: ConfigError });
  t.deepEqual(tooMany?.problems, [
    'TRUST_PROXY="11" is not valid: expected an integer from 0 to 10',
  ]);
});

test('the app refuses to start on it: exit 2 and the message', async (t) => {
  const app = spawnApp(['web'], {
    TRUST_PROXY: 'abc',
    DATABASE_URL: 'postgres://unused.invalid/x',
  });
  t.is(await app.exited, 2);
  t.true(app.output().includes(`TRUST_PROXY="abc" is not valid: ${EXPECTED}\n`), app.output());
});
