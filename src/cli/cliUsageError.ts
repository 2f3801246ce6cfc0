/**
 * How the CLI reports a failure: one line on stderr and exit code 1; the stack only with --verbose. Azure being
 * unreachable or refusing sign-in gets a sentence saying so, not an SDK stack trace.
 */
import { ConfigError, isRotationError } from '../domain/errors.js';

/** Exit codes of the CLI. `status` commands add 2 (drift). */
export const EXIT = { ok: 0, error: 1, drift: 2 } as const;

/** A mistake in the command line (unknown key, bad version): said plainly, exit code 1. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** The one-line (or, for configuration, one-list) message for an error. */
export function describeError(e: unknown): string {
  if (e instanceof CliUsageError) return `error: ${e.message}`;
  if (e instanceof ConfigError) return `error: ROTATION_CONFIG: ${e.message}`;
  if (isRotationError(e)) {
    const cause = e.cause as { name?: unknown } | undefined;
    const causeName = typeof cause?.name === 'string' ? cause.name : '';
    if (/Credential|Authentication/i.test(causeName)) {
      return `error: cannot sign in to Azure (${causeName}): sign in with \`az login\`, or set AZURE_CLIENT_ID / managed identity; run with --verbose for details`;
    }
    if (e.code === 'NetworkError') {
      return `error: cannot reach Azure${where(e.details)}: ${firstLine(e.message)} (check network, proxy and DNS; retry later)`;
    }
    if (e.details.statusCode === 401 || e.details.statusCode === 403) {
      return `error: Azure refused access${where(e.details)} (${e.code}): check the identity's role assignments`;
    }
    return `error: ${e.code}${where(e.details)}: ${firstLine(e.message)}`;
  }
  if (e instanceof Error) return `error: unexpected ${e.name}: ${firstLine(e.message)}`;
  return 'error: unexpected failure';
}

function where(d: { vault?: string; key?: string; server?: string; agent?: string }): string {
  const parts = [d.vault === undefined ? undefined : `vault ${d.vault}`, d.key, d.server, d.agent].filter((p) => p !== undefined);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? '';
}
