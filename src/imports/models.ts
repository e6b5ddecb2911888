import { BaseModel } from '../db/base-model';
import type { RecordFailure } from './records';

export type ImportStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

export interface ImportOptions {
  duplicate_handling: 'skip' | 'overwrite';
  tags?: string[];
  private?: boolean;
}

export class ImportJob extends BaseModel {
  static override tableName = 'import_jobs';
  id!: number;
  user_id!: number;
  file_path!: string;
  original_filename!: string;
  format!: string | null;
  status!: ImportStatus;
  file_size!: number;
  total_bookmarks!: number;
  processed_bookmarks!: number;
  failed_bookmarks!: number;
  created_bookmarks!: number;
  updated_bookmarks!: number;
  skipped_bookmarks!: number;
  /** Records of the file whose outcome is committed; a restart resumes here. */
  resume_cursor!: number;
  error_message!: string | null;
  failed_bookmark_details!: RecordFailure[];
  options!: ImportOptions;
  started_at!: Date | null;
  completed_at!: Date | null;
  created_at!: Date;
  updated_at!: Date;

  static override get jsonAttributes(): string[] {
    return ['failed_bookmark_details', 'options'];
  }

  override $beforeUpdate(): void {
    this.updated_at = new Date();
  }
}
