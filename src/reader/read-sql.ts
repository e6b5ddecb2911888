/**
 * The read-state rules as SQL, written once: the list, the counts and the
 * marking all use these fragments, so they cannot disagree.
 *
 * With `i` a feed_items row and `s` its feed_subscriptions row, an item is
 * read by the watermark when
 *   i.id <= s.read_through_item_id AND sort date < s.read_before
 * and a feed_item_states row for (item, user), when there is one, overrides
 * that. The items the watermark leaves unread are two disjoint sets, each
 * read from its own index (migration 008), so their cost follows the unread
 * items, not the feed's history:
 *   newer:   dated at or after read_before                (feed_items_feed_newest)
 *   arrived: dated before it, but arrived after the bound (feed_items_feed_arrival)
 * The explicit rows then take some out (read) and add some (unread below
 * the watermark); there are few of them, found by (user_id, feed_id).
 */

/** How every item listing sorts: the feed's date, or when we first saw it. */
export const SORT_DATE = 'coalesce(i.date, i.first_seen_at)';

/** True when the watermark leaves the item unread. */
export const ABOVE_WATERMARK = `(${SORT_DATE} >= s.read_before or i.id > s.read_through_item_id)`;

/** Read state of `i` for `s.user_id`, with `st` the left-joined explicit state. */
export const IS_READ = `coalesce(st.read, not ${ABOVE_WATERMARK})`;

/**
 * The two sets the watermark leaves unread, as conditions on `i` for `s`.
 * Before any mark (read_before = -infinity) nothing is dated earlier, and
 * `arrived` is skipped without a look at the index.
 */
export const WATERMARK_SETS = {
  newer: `i.feed_id = s.feed_id and ${SORT_DATE} >= s.read_before`,
  arrived: `s.read_before > '-infinity' and i.feed_id = s.feed_id
    and i.id > s.read_through_item_id and ${SORT_DATE} < s.read_before`,
} as const;

const NOT_EXPLICITLY_READ = `not exists (select 1 from feed_item_states x
  where x.item_id = i.id and x.user_id = s.user_id and x.read)`;

/** The unread items as three disjoint sets: conditions on `i` (and `st` for the third), for `s`. */
export const UNREAD_SETS = {
  newer: `${WATERMARK_SETS.newer} and ${NOT_EXPLICITLY_READ}`,
  arrived: `${WATERMARK_SETS.arrived} and ${NOT_EXPLICITLY_READ}`,
  explicit: `st.user_id = s.user_id and st.feed_id = s.feed_id and not st.read
    and i.id <= s.read_through_item_id and ${SORT_DATE} < s.read_before`,
} as const;

/**
 * What the explicit rows change in the count of `s`: -1 for each read item
 * the watermark leaves unread, +1 for each unread one it covers. (A row that
 * agrees with the watermark changes nothing.)
 */
export const EXPLICIT_ADJUSTMENT = `(select coalesce(sum(case when st.read then -1 else 1 end), 0)
  from feed_item_states st join feed_items i on i.id = st.item_id
  where st.user_id = s.user_id and st.feed_id = s.feed_id and st.read = ${ABOVE_WATERMARK})`;

/** Unread items of subscription row `s`: the watermark's two sets, counted apart, adjusted. */
export const UNREAD_COUNT = `(
  (select count(*) from feed_items i where ${WATERMARK_SETS.newer})
  + (select count(*) from feed_items i where ${WATERMARK_SETS.arrived})
  + ${EXPLICIT_ADJUSTMENT}
)::int`;
