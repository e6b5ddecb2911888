import fs from 'node:fs';
import path from 'node:path';

/** The repository root, found from here whether running from src/ or dist/. */
function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json')) || dir.endsWith(`${path.sep}dist`)) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${start}`);
    dir = parent;
  }
  return dir;
}

export const projectRoot = findRoot(__dirname);
export const viewsDir = path.join(projectRoot, 'src', 'web', 'views');
export const staticDir = path.join(projectRoot, 'src', 'web', 'static');
