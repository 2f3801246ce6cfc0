#!/usr/bin/env node
/**
 * `prestart`: installs the locked dependencies (`npm ci`) only when nothing is installed yet, so that `npm start`
 * works on a fresh clone and, once installed, offline (no registry round trip on every start). npm writes
 * node_modules/.package-lock.json on every install; its absence means nothing was installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  process.stdout.write('dependencies installed (npm ci to refresh them)\n');
} else {
  process.stdout.write('no dependencies installed yet: npm ci\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  process.exit(r.status ?? 1);
}
