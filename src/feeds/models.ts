import { BaseModel } from '../db/base-model';

export class Feed extends BaseModel {
  static override tableName = 'feeds';
  id!: number;
  url!: string;
  title!: string;
  newest_item_date!: Date | null;
  disabled!: boolean;
  etag!: string | null;
  modified!: string | null;
  metadata!: Record<string, unknown> | null;
  error_count!: number;
  last_error!: string | null;
  last_status!: string | null;
  last_polled_at!: Date | null;
  next_poll_at!: Date;
  /** When the last poll (or Re-enable / Retry now) said the next is due; no lease moves it. */
  poll_due_at!: Date | null;
  created_at!: Date;
  updated_at!: Date;

  static override get jsonAttributes(): string[] {
    return ['metadata'];
  }

  override $beforeUpdate(): void {
    this.updated_at = new Date();
  }
}

export class FeedItem extends BaseModel {
  static override tableName = 'feed_items';
  id!: number;
  feed_id!: number;
  guid!: string;
  date!: Date | null;
  link!: string | null;
  title!: string | null;
  summary!: string | null;
  description!: string | null;
  first_seen_at!: Date;
  last_seen_at!: Date;
  raw!: Record<string, unknown> | null;

  static override get jsonAttributes(): string[] {
    return ['raw'];
  }
}

export class FeedSubscription extends BaseModel {
  static override tableName = 'feed_subscriptions';
  static override idColumn = ['user_id', 'feed_id'];
  user_id!: number;
  feed_id!: number;
  created_at!: Date;
}
