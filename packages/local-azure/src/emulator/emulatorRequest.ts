/**
 * The transport-free request the emulator's route handlers work on (emulatorResponse.ts has the response). The
 * mockttp wiring (startEmulator) converts to it, so every route is unit-testable without sockets.
 */

/** One HTTP request as the emulator sees it. */
export interface EmulatorRequest {
  readonly method: string;
  /** Absolute URL, with the real host name (e.g. `https://management.azure.com/...`). */
  readonly url: URL;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Raw body text ('' when none). */
  readonly body: string;
}

/** Parses a JSON body; undefined when empty or malformed. */
export function parseJsonBody(req: EmulatorRequest): unknown {
  if (req.body.trim() === '') return undefined;
  try {
    return JSON.parse(req.body) as unknown;
  } catch {
    return undefined;
  }
}
