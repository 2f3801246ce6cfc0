import { isRotationError, type RotationError } from '../../src/domain/errors.js';

/**
 * The RotationError a promise rejects with. Fails the test when it resolves, and rethrows anything else it
 * rejects with (an untranslated SDK error is a finding, not a pass).
 */
export async function rotationFailure(p: Promise<unknown>): Promise<RotationError> {
  try {
    await p;
  } catch (e) {
    if (isRotationError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection with a RotationError');
}
