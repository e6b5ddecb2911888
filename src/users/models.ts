import { BaseModel } from '../db/base-model';

export class User extends BaseModel {
  static override tableName = 'users';
  id!: number;
  username!: string;
  email!: string;
  password_hash!: string;
  /** Set by an administrator (accounts: user:disable); null for an active account. */
  disabled_at!: Date | null;
  created_at!: Date;
  updated_at!: Date;
  profile?: Profile;

  static override get relationMappings() {
    return {
      profile: {
        relation: BaseModel.HasOneRelation,
        modelClass: Profile,
        join: { from: 'users.id', to: 'profiles.user_id' },
      },
    };
  }

  override $beforeUpdate(): void {
    this.updated_at = new Date();
  }
}

export class Profile extends BaseModel {
  static override tableName = 'profiles';
  static override idColumn = 'user_id';
  user_id!: number;
  bio!: string;
  created_at!: Date;
  updated_at!: Date;

  override $beforeUpdate(): void {
    this.updated_at = new Date();
  }
}

export class ApiToken extends BaseModel {
  static override tableName = 'api_tokens';
  id!: number;
  user_id!: number;
  name!: string;
  token_hash!: string;
  token_prefix!: string;
  last_used_at!: Date | null;
  created_at!: Date;
  updated_at!: Date;
}
