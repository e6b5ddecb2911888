// node speed.cjs <library> <format> <items> <iterations>
// Parses the document `iterations` times after a warm-up and prints CPU ms
// per parse, the heap retained by one parsed result, and the peak RSS.
const { libraries } = require('./adapters.cjs');
const docs = require('./docs.cjs');

const [name, format, itemsArg, iterArg] = process.argv.slice(2);
const parse = libraries[name];
const items = Number(itemsArg);
const iterations = Number(iterArg);
const doc = docs[format](1, items);

async function main() {
  const first = await parse(doc);
  if (first.items.length !== items) throw new Error(`${name}: ${first.items.length} items`);
  for (let i = 0; i < Math.min(20, iterations); i++) await parse(doc);
  globalThis.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const kept = await parse(doc);
  globalThis.gc?.();
  const retained = process.memoryUsage().heapUsed - heap0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await parse(doc);
  const cpu = process.cpuUsage(cpu0);
  const ms = (cpu.user + cpu.system) / 1000 / iterations;
  process.stdout.write(
    `${JSON.stringify({ name, format, items, bytes: Buffer.byteLength(doc), cpuMsPerParse: ms, retainedKiB: retained / 1024, maxRssMiB: process.resourceUsage().maxRSS / 1024, kept: kept.items.length })}\n`,
  );
}
main().catch((e) => { console.error(name, format, e.message); process.exit(1); });
