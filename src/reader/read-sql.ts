/**
 * The read-state rules as SQL, written once: the list, the counts and the
 * marking all use these fragments, so they cannot disagree.
 *
 * With `i` a feed_items row and `s` its feed_subscriptions row, an item is
 * read by the watermark when
 *   i.id <= s.read_through_item_id AND sort date < s.read_before
 * and a feed_item_states row for (item, user), when there is one, overrides
 * that. The unread items are then three disjoint sets, each read through an
 * index (migration 008), so their cost follows the unread items, not the
 * feed's history:
 *   1. dated at or after read_before                (feed_items_feed_newest)
 *   2. dated before it, but arrived after the bound (feed_items_feed_arrival)
 *   3. below the watermark, explicitly unread       (feed_item_states)
 * minus, in 1 and 2, the items explicitly read.
 */

/** How every item listing sorts: the feed's date, or when we first saw it. */
export const SORT_DATE = 'coalesce(i.date, i.first_seen_at)';

/** True when the watermark leaves the item unread. */
export const ABOVE_WATERMARK = `(${SORT_DATE} >= s.read_before or i.id > s.read_through_item_id)`;

/** Read state of `i` for `s.user_id`, with `st` the left-joined explicit state. */
export const IS_READ = `coalesce(st.read, not ${ABOVE_WATERMARK})`;

const NOT_EXPLICITLY_READ = `not exists (select 1 from feed_item_states x
  where x.item_id = i.id and x.user_id = s.user_id and x.read)`;

/** The three unread sets' conditions on `i` (and `st` for the third), for `s`. */
export const UNREAD_SETS = {
  newer: `i.feed_id = s.feed_id and ${SORT_DATE} >= s.read_before and ${NOT_EXPLICITLY_READ}`,
  arrived: `i.feed_id = s.feed_id and i.id > s.read_through_item_id
    and ${SORT_DATE} < s.read_before and ${NOT_EXPLICITLY_READ}`,
  explicit: `st.user_id = s.user_id and st.feed_id = s.feed_id and not st.read
    and i.id <= s.read_through_item_id and ${SORT_DATE} < s.read_before`,
} as const;

/**
 * Unread items per subscription row `s`, as one expression: the three sets
 * counted apart (each through its index) and added.
 */
export const UNREAD_COUNT = `(
  (select count(*) from feed_items i where ${UNREAD_SETS.newer})
  + (select count(*) from feed_items i where ${UNREAD_SETS.arrived})
  + (select count(*) from feed_item_states st join feed_items i on i.id = st.item_id
      where ${UNREAD_SETS.explicit})
)::int`;
