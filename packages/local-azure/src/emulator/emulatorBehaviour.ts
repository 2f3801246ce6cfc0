/**
 * Answers Azure gives in more than one way, or only in some situations; tests pick one. Defaults: the answer the
 * emulator always gave.
 */
export interface EmulatorBehaviour {
  /**
   * GET of a disabled key version: `ok` answers 200 with `attributes.enabled: false`; `forbidden` answers 403
   * `Forbidden` with inner error `KeyDisabled`, as Key Vault does for a disabled secret
   * (`{"error":{"code":"Forbidden","message":"Operation get is not allowed on a disabled key.","innererror":{"code":"KeyDisabled"}}}`;
   * the SDK shows the inner error as `details.error.innerError`).
   */
  disabledKeyGet: 'ok' | 'forbidden';
  /**
   * PUT of the encryption protector naming a version of the key in place that was created before the version in
   * place: refused with 400 `OldGenerationOfAKVKeyBeingUsedError` (true) or accepted (false).
   */
  refuseOlderProtectorVersion: boolean;
  /**
   * PUT of a server (or managed instance) key that the server already has: `accepted` starts an operation and
   * answers 202 as for a new key; `conflict` answers 409 `ServerKeyNameAlreadyExists` ("The server key already
   * exists on the server."), a refusal the ServerKeys and ManagedInstanceKeys specs (2025-01-01) list for the upsert.
   */
  repeatedKeyUpsert: 'accepted' | 'conflict';
}

/** The answers the emulator always gave. */
export function defaultBehaviour(): EmulatorBehaviour {
  return { disabledKeyGet: 'ok', refuseOlderProtectorVersion: false, repeatedKeyUpsert: 'accepted' };
}
