import type { Logger, Notifier } from './ports.js';
import type { RotationNotification } from './rotationNotification.js';

/**
 * Sends and never throws: the rotation goes on whatever the notifier does (a notifier that rejects despite
 * the contract is logged here, by error name only).
 */
export async function notifySafely(notifier: Notifier, notification: RotationNotification, logger: Logger): Promise<void> {
  try {
    await notifier.notify(notification);
  } catch (e) {
    logger.warn('Notification not delivered', {
      notification: notification.kind,
      error: e instanceof Error ? e.name : 'non-error thrown',
    });
  }
}
