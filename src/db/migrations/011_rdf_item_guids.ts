import type { Knex } from 'knex';

/**
 * RSS 1.0 (RDF) items are identified by their `rdf:about` since the feed
 * parser moved to feedsmith (docs/feeds.md). Before, the parser did not read
 * it, so their guid was the fallback `sha256:` hash of link and title; left
 * as they were, the next poll of every RDF feed would store its current items
 * a second time under the new guid. `rdf:about` is, in the feeds that carry
 * it, the item's link, which is what the rows are moved to. An item whose
 * about differs from its link still arrives once more: no worse than not
 * migrating, and nothing is lost either way.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    UPDATE feed_items AS item
       SET guid = btrim(item.link)
      FROM feeds
     WHERE feeds.id = item.feed_id
       AND feeds.metadata ->> 'format' = 'rdf'
       AND item.guid LIKE 'sha256:%'
       AND btrim(item.link) <> ''
       AND length(btrim(item.link)) <= 2048
       -- Two items with one link keep their hashes rather than break the unique guid.
       AND NOT EXISTS (
         SELECT 1 FROM feed_items AS other
          WHERE other.feed_id = item.feed_id
            AND other.id <> item.id
            AND (other.guid = btrim(item.link) OR btrim(other.link) = btrim(item.link))
       )`);
}

/** The old guids cannot be recomputed here (they hashed the parser's raw title). */
export async function down(): Promise<void> {}
