import type { ImportJob } from './models';

/** Only its owner may see or act on an import (others get a 404, not a 403). */
export function canSeeImport(user: { id: number } | undefined, job: Pick<ImportJob, 'user_id'>) {
  return user !== undefined && user.id === job.user_id;
}

export const canRetryImport = (job: Pick<ImportJob, 'status'>) => job.status === 'failed';
export const canCancelImport = (job: Pick<ImportJob, 'status'>) =>
  job.status === 'pending' || job.status === 'processing';
