/**
 * A poll schedule for tests whose emulator finishes operations at once: the first poll goes out after a few
 * milliseconds instead of the recorded 10 s. Tests about timing build their own.
 */
import { PollSchedule } from '../../src/domain/pollSchedule.js';

export function fastPolls(): PollSchedule {
  return new PollSchedule({ initialExpectedMs: 5, minDelayMs: 1, maxDelayMs: 50 });
}
