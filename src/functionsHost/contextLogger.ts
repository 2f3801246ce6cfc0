/**
 * A Logger (src/app/ports.ts) over the invocation's context: one line per event, message first, then the
 * identifiers as JSON so that Application Insights queries can parse them (`parse_json(extract(...))`).
 */
import type { InvocationContext } from '@azure/functions';
import type { Logger } from '../app/ports.js';
import { redactSecretLike } from '../domain/redactSecretLike.js';

/** Every line passes through {@link redactSecretLike}: a last line of defence, never the only one. */
export function contextLogger(context: InvocationContext): Logger {
  const line = (message: string, properties?: Record<string, unknown>): string =>
    redactSecretLike(properties === undefined ? message : `${message} ${JSON.stringify(properties)}`);
  return {
    info: (m, p) => context.info(line(m, p)),
    warn: (m, p) => context.warn(line(m, p)),
    error: (m, p) => context.error(line(m, p)),
  };
}
