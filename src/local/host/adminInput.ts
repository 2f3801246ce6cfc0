import type { FunctionDefinition } from '../../functionsHost/functionDefinition.js';
import { timerInput } from './scheduleTimer.js';

/** What a function receives when started through the admin endpoint (or `host.invoke`). */
export function adminInput(def: FunctionDefinition, input: unknown): unknown {
  if (def.trigger.type === 'timer') return timerInput(undefined, undefined);
  // The real host hands non-HTTP functions the input string; JSON is what these triggers carry.
  if (typeof input === 'string') {
    try {
      return JSON.parse(input) as unknown;
    } catch {
      return input;
    }
  }
  return input;
}
