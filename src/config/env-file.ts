import path from 'node:path';
import { ConfigError } from './reader';

let loaded = false;

/**
 * Settings from a `.env` file go into process.env before anything reads them,
 * so `make run`, the CLI, the tests and every process they start see the
 * same values without exporting them in each shell. The file is `.env` in
 * the working directory (the project's, for make and npm), or ENV_FILE. A
 * variable already set in the environment wins over the file, as with Node's
 * --env-file (whose --env-file-if-exists prints a notice when there is none).
 */
export function loadEnvFile(): void {
  if (loaded) return;
  loaded = true;
  const named = process.env.ENV_FILE?.trim();
  const file = path.resolve(named || '.env');
  try {
    process.loadEnvFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!named && code === 'ENOENT') return; // no .env: nothing to do
    throw new ConfigError([`${named ? 'ENV_FILE' : '.env'} ${file}: ${(error as Error).message}`]);
  }
}
