import type { Notifier } from '../../../src/app/ports.js';
import type { RotationNotification } from '../../../src/app/rotationNotification.js';

/** A Notifier that keeps what it is sent; with `fail` set it rejects instead (as an unreachable webhook would). */
export class RecordingNotifier implements Notifier {
  readonly sent: RotationNotification[] = [];
  fail = false;

  notify(n: RotationNotification): Promise<void> {
    if (this.fail) return Promise.reject(new Error('boom'));
    this.sent.push(n);
    return Promise.resolve();
  }
}
