// node --expose-gc memory.cjs <library> <format> <items>: one parse of a big
// document in a fresh process: CPU ms, heap retained by the result, peak RSS.
const { libraries } = require('./adapters.cjs');
const docs = require('./docs.cjs');
const [name, format, itemsArg] = process.argv.slice(2);
const doc = docs[format](1, Number(itemsArg));
(async () => {
  globalThis.gc();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  let result = await libraries[name](doc);
  const cpu = process.cpuUsage(cpu0);
  globalThis.gc();
  const retained = process.memoryUsage().heapUsed - heap0;
  const n = result.items.length;
  result = null;
  process.stdout.write(`${JSON.stringify({ name, format, items: n, MiB: +(Buffer.byteLength(doc) / 1048576).toFixed(2), cpuMs: Math.round((cpu.user + cpu.system) / 1000), retainedMiB: +(retained / 1048576).toFixed(1), peakRssGrowthMiB: +((process.resourceUsage().maxRSS * 1024 - rss0) / 1048576).toFixed(0) })}\n`);
})();
