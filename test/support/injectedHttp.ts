/**
 * For adapter tests that hand the SDK client an HTTP client instead of the emulator: answers the emulator cannot
 * give (a torn body, a body without the expected field) and the credential that goes with them.
 */
import { inspect } from 'node:util';
import type { TokenCredential } from '@azure/core-auth';
import { createHttpHeaders, type HttpClient } from '@azure/core-rest-pipeline';
import { safeStringify } from './fakes/captureLogger.js';

/** A credential that hands out one fixed token, valid for an hour. */
export const fixedTokenCredential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

/** An HTTP client that answers every request with this status and JSON body text. */
export function answering(status: number, bodyAsText: string): HttpClient {
  return {
    sendRequest: (request) => Promise.resolve({ status, request, bodyAsText, headers: createHttpHeaders({ 'content-type': 'application/json' }) }),
  };
}

/** Every way an error can reach a log: message, stack, JSON and `inspect` (hidden fields too). */
export function everythingAbout(err: Error): string {
  return [err.message, err.stack ?? '', safeStringify(err), inspect(err, { depth: 20, showHidden: true })].join('\n');
}
