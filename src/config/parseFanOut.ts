import type { FanOutConfig } from './appConfig.js';
import { ConfigProblems, integer, object, type Json } from './configProblems.js';

/** Used when ROTATION_CONFIG leaves `fanOut` (or a property of it) out. */
export const DEFAULT_FAN_OUT: FanOutConfig = Object.freeze({ inlineLimit: 10, concurrency: 8 });

/** The `fanOut` section. */
export function parseFanOut(p: ConfigProblems, v: Json, path: string): FanOutConfig {
  if (v === undefined) return DEFAULT_FAN_OUT;
  const o = object(p, v, path, ['inlineLimit', 'concurrency']);
  if (o === undefined) return DEFAULT_FAN_OUT;
  return {
    inlineLimit: integer(p, o['inlineLimit'], `${path}.inlineLimit`, 0, DEFAULT_FAN_OUT.inlineLimit),
    concurrency: integer(p, o['concurrency'], `${path}.concurrency`, 1, DEFAULT_FAN_OUT.concurrency),
  };
}
