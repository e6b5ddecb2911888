import type { Knex } from 'knex';
import { Model, type StaticHookArguments } from 'objection';
import { afterCommit } from './after-commit';
import { type ModelLabel, recordModelWrites, type WriteKind } from './metrics';

/** Rows come back with snake_case columns, as in the schema. */
export class BaseModel extends Model {}

/**
 * objection hands static hooks `result` as an array: the written models for an
 * insert, or `[rowCount]` for a patch, update or delete run as a query.
 */
function countRows(result: unknown): number {
  if (!Array.isArray(result)) return result ? 1 : 0;
  if (result.every((item) => typeof item === 'number')) {
    return result.reduce((sum: number, n: number) => sum + n, 0);
  }
  return result.length;
}

/**
 * Base for counted models: rows inserted, updated and deleted through objection
 * queries, bulk statements included (their result is the row count or the row
 * list). The counterpart of django-prometheus's model mixin. The label is given
 * explicitly: a class name can be mangled by a bundler. Writes that bypass
 * objection (bulk knex inserts) call recordModelWrites themselves.
 */
export function CountedModel(label: ModelLabel) {
  return class Counted extends BaseModel {
    static override async afterInsert(args: StaticHookArguments<Model>): Promise<void> {
      count(label, 'insert', args);
    }

    static override async afterUpdate(args: StaticHookArguments<Model>): Promise<void> {
      count(label, 'update', args);
    }

    static override async afterDelete(args: StaticHookArguments<Model>): Promise<void> {
      count(label, 'delete', args);
    }
  };
}

function count(label: ModelLabel, kind: WriteKind, args: StaticHookArguments<Model>): void {
  const rows = countRows(args.result);
  afterCommit(args.transaction as Knex.Transaction | undefined, () =>
    recordModelWrites(label, kind, rows),
  );
}
