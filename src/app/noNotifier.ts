import type { Notifier } from './ports.js';

/** A Notifier that sends nothing (no `notifications` in ROTATION_CONFIG). */
export const NO_NOTIFIER: Notifier = Object.freeze({ notify: () => Promise.resolve() });
