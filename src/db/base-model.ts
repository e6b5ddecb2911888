import { Model } from 'objection';

/**
 * Rows come back with snake_case columns, as in the schema. Writes are
 * counted by the database itself (triggers of migration 009,
 * docs/metrics.md), whichever way they are made, so models carry no hooks.
 */
export class BaseModel extends Model {}
