/**
 * The transport-free request and response shapes the emulator's route handlers work on. The mockttp wiring
 * (startEmulator) converts to and from these, so every route is unit-testable without sockets.
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

/** A response to send, or a connection to drop. */
export type EmulatorResponse =
  | {
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      /** Serialised as JSON unless a string. */
      readonly body?: unknown;
    }
  | { readonly action: 'reset' | 'close' };

/** A response with a JSON body. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse {
  return { status, body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

/** The ARM error envelope `{ error: { code, message } }`. */
export function armError(status: number, code: string, message: string, headers: Record<string, string> = {}): EmulatorResponse {
  return json(status, { error: { code, message } }, headers);
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
