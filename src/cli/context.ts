import type { Config } from '../config';
import { type Database, openDatabase } from '../db/connection';
import { migrateAll } from '../db/migrate';
import type { Logger } from '../logging/logger';

export interface CliContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  /** Lines for the person at the terminal (stdout); logs go to stderr. */
  print(line: string): void;
}

/**
 * The CLI works on the same data as `make run`: DATABASE_URL, or the embedded
 * PostgreSQL under DATA_DIR — joined if the app is running, started (and
 * stopped again) if not. Migrations run first so a fresh DATA_DIR works.
 */
export async function openCliDatabase(config: Config, logger: Logger): Promise<Database> {
  const db = await openDatabase(config, logger);
  try {
    await migrateAll(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
