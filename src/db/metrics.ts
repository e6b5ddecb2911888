import { createCounter } from '../../otel/instruments';

/** The counterpart of django-prometheus's model mixin: rows written per model. */
export type ModelLabel = 'bookmark' | 'tag' | 'feed' | 'feed_item' | 'user';

const inserts = createCounter({
  name: 'model_inserts',
  description: 'Rows inserted, per model. Counted after commit.',
  labels: ['model'],
});
const updates = createCounter({
  name: 'model_updates',
  description: 'Rows updated, per model. Counted after commit.',
  labels: ['model'],
});
const deletes = createCounter({
  name: 'model_deletes',
  description: 'Rows deleted, per model. Counted after commit.',
  labels: ['model'],
});

export type WriteKind = 'insert' | 'update' | 'delete';

const byKind = { insert: inserts, update: updates, delete: deletes } as const;

export function recordModelWrites(model: ModelLabel, kind: WriteKind, rows: number): void {
  if (rows > 0) byKind[kind].add(rows, { model });
}
