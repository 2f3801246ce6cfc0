/**
 * The project root (the directory holding this project's package.json), found upward from a start directory, so
 * that files such as the demo estate and `.local-azure/` resolve the same from `src/` (tests, tsx) and from the
 * compiled `dist/src/` (`npm start`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE_NAME = 'sql-tde-key-rotation';

/** Walks up from `from` (default: this file's directory) to the directory whose package.json names this project. */
export function findProjectRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // not ours (or unreadable): keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} project root above ${from}`);
    dir = parent;
  }
}
