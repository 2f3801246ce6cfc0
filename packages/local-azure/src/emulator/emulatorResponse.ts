/**
 * The transport-free response the emulator's route handlers return (emulatorRequest.ts has the request). The
 * mockttp wiring (startEmulator) converts from it, so every route is unit-testable without sockets.
 */

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

/** ARM's 404 for a resource that does not exist. */
export function notFound(type: string, name: string, rg: string): EmulatorResponse {
  return armError(404, 'ResourceNotFound', `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
}

/** ARM's 404 for a child resource whose parent does not exist. */
export function parentNotFound(parentName: string): EmulatorResponse {
  return armError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${parentName}' not found.`);
}
