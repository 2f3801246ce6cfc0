/**
 * The demo estate `npm start` runs against: one TDE vault (`contoso-tde`, key `tde-key`, two versions), four
 * servers protected by it in `rg-sql-prod` (a geo primary and its secondary, one with auto-rotation, one
 * plain), one in `rg-sql-analytics`, a sync agent, and a vault for sync-agent secrets (`contoso-sync`).
 */
import demo from './demoEstate.json';
import { parseEstate, type Estate } from './estate.js';

/** The demo estate, checked (imported so that the build copies the JSON next to the compiled code). */
export function demoEstate(): Estate {
  return parseEstate(demo, 'demoEstate.json');
}
