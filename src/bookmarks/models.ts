import { BaseModel } from '../db/base-model';
import { User } from '../users/models';

export interface UnfurlMetadata {
  title?: string;
  description?: string;
  image?: string;
  author?: string;
  feeds?: string[];
  fetched_at?: string;
  error?: string;
}

export class Tag extends BaseModel {
  static override tableName = 'tags';
  id!: number;
  owner_id!: number;
  name!: string;
  is_system!: boolean;
  created_at!: Date;
  updated_at!: Date;
}

export class Bookmark extends BaseModel {
  static override tableName = 'bookmarks';
  id!: number;
  owner_id!: number;
  url!: string;
  unique_hash!: string;
  title!: string;
  description!: string;
  private!: boolean;
  unfurl_metadata!: UnfurlMetadata | null;
  feed_url!: string | null;
  created_at!: Date;
  updated_at!: Date;
  tags?: Tag[];
  owner?: User;

  static override get jsonAttributes(): string[] {
    return ['unfurl_metadata'];
  }

  static override get relationMappings() {
    return {
      tags: {
        relation: BaseModel.ManyToManyRelation,
        modelClass: Tag,
        join: {
          from: 'bookmarks.id',
          through: { from: 'bookmark_tags.bookmark_id', to: 'bookmark_tags.tag_id' },
          to: 'tags.id',
        },
      },
      owner: {
        relation: BaseModel.BelongsToOneRelation,
        modelClass: User,
        join: { from: 'bookmarks.owner_id', to: 'users.id' },
      },
    };
  }

  override $beforeUpdate(): void {
    this.updated_at = new Date();
  }
}
