/**
 * An export as a stream of text: the format's header, then its items page by
 * page as the query yields them (backpressure from the client pauses the
 * reads), then the footer. Counted in the metrics once the last byte is
 * produced; an export the client abandoned is not counted.
 */
import { Readable } from 'node:stream';
import type { Knex } from 'knex';
import { type ExportFormat, recordExport } from '../bookmarks/metrics';
import { activityStreamsWriter } from './formats/activitystreams';
import { netscapeWriter } from './formats/netscape';
import { opmlWriter } from './formats/opml';
import type { ExportWriter } from './formats/types';
import { countExport, type ExportFilters, exportPages } from './query';

export const WRITERS: Record<ExportFormat, ExportWriter> = {
  netscape: netscapeWriter,
  activitystreams: activityStreamsWriter,
  opml: opmlWriter,
};

export function exportBookmarks(
  knex: Knex,
  input: { format: ExportFormat; username: string; filters: ExportFilters },
): Readable {
  return Readable.from(generate(knex, input), { objectMode: false });
}

async function* generate(
  knex: Knex,
  input: { format: ExportFormat; username: string; filters: ExportFilters },
): AsyncGenerator<string> {
  const started = process.hrtime.bigint();
  const writer = WRITERS[input.format];
  const total = input.format === 'activitystreams' ? await countExport(knex, input.filters) : 0;
  const context = { username: input.username, total, now: new Date() };
  yield writer.header(context);
  let first = true;
  for await (const page of exportPages(knex, input.filters)) {
    let chunk = '';
    for (const bookmark of page) {
      if (!first) chunk += writer.separator;
      chunk += writer.item(bookmark);
      first = false;
    }
    yield chunk;
  }
  yield writer.footer(context);
  recordExport(input.format, Number(process.hrtime.bigint() - started) / 1e9);
}
