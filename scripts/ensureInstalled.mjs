#!/usr/bin/env node
/**
 * `prestart`: installs the locked dependencies (`npm ci`) only when nothing is installed yet, so that `npm start`
 * works on a fresh clone and, once installed, offline (no registry round trip on every start). npm writes
 * node_modules/.package-lock.json on every install; its absence means nothing was installed. The link of the
 * workspace package (node_modules/@sql-key-rotation/local-azure) is checked too: an install from before the
 * emulator became a package lacks it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const installed = ['.package-lock.json', join('@sql-key-rotation', 'local-azure', 'package.json')];
if (installed.every((file) => existsSync(join(root, 'node_modules', file)))) {
  process.stdout.write('dependencies installed (npm ci to refresh them)\n');
} else {
  process.stdout.write('no dependencies installed yet: npm ci\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  process.exit(r.status ?? 1);
}
