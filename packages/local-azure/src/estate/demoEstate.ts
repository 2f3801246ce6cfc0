/**
 * The demo estate `npm start` runs against: one TDE vault (`contoso-tde`, key `tde-key`, two versions), four
 * servers protected by it in `rg-sql-prod` (a geo primary and its secondary, one with auto-rotation, one
 * plain), one in `rg-sql-analytics`, a sync agent, and a vault for sync-agent secrets (`contoso-sync`).
 */
import { resolve } from 'node:path';
import demo from './demoEstate.json';
import { parseEstate, type Estate } from './estate.js';

/** The demo estate, checked (imported so that the build copies the JSON next to the compiled code). */
export function demoEstate(): Estate {
  return parseEstate(demo, 'demoEstate.json');
}

/**
 * The demo's files on disk, as paths that hold from the source (tests) and from the build alike: `dist/` mirrors
 * `src/` at the same depth below the package root, and the JSON files stay in `src/estate`.
 */
const ESTATE_DIR = resolve(__dirname, '..', '..', 'src', 'estate');

/** The demo estate `npm start` loads. */
export const DEMO_ESTATE_FILE = resolve(ESTATE_DIR, 'demoEstate.json');

/** The ROTATION_CONFIG of the demo (the demo estate's key, servers and sync agents). */
export const DEMO_ROTATION_CONFIG_FILE = resolve(ESTATE_DIR, 'demoRotationConfig.json');
