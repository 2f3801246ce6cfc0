/**
 * A last line of defence for log lines: replaces what looks like a generated secret (a sync-agent key, a token)
 * with `[redacted]`. The product never hands a secret to a logger (the `Secret` type redacts itself, adapters drop
 * SDK text that could hold one); this only limits the damage of a future bug.
 *
 * "Looks like a secret": a run of at least 20 base64 characters (letters, digits, `+`, `/`, `_`, the `\` of JSON
 * escapes such as `\u002b`, then `=` padding) that mixes upper- and lower-case letters with digits (or changes
 * case as often as random text does) and is not a resource path (`/servers/`, `/keys/`, ...). Identifiers the logs are made of do not qualify: GUIDs and most names are split by
 * `-` and `.`, key versions and message ids are lower-case hex, error codes have no digits.
 */
const CANDIDATE = /[A-Za-z0-9+/_\\]{20,}={0,2}/g;
const PATH_SEGMENT = /(^|\/)(subscriptions|resourceGroups|providers|servers|databases|managedInstances|syncAgents|keys|secrets|encryptionProtector|deletedkeys|runtime|admin|functions)(\/|$)/i;

export const REDACTED = '[redacted]';

export function looksLikeSecret(token: string): boolean {
  if (token.length < 20 || !/[A-Z]/.test(token) || !/[a-z]/.test(token) || PATH_SEGMENT.test(token)) return false;
  // Random base64 mixes digits in (all but 1 in 7,000 of 43 characters do); failing that, it starts a "word" (a
  // lower-case letter followed by an upper-case one) every fourth character, CamelCase error codes every sixth.
  return /[0-9+/]/.test(token) || wordStarts(token) / token.length >= 0.22;
}

function wordStarts(token: string): number {
  let starts = 0;
  for (let i = 1; i < token.length; i += 1) {
    const a = token.charAt(i - 1);
    const b = token.charAt(i);
    if (a >= 'a' && a <= 'z' && b >= 'A' && b <= 'Z') starts += 1;
  }
  return starts;
}

/** The text with every secret-like run replaced. JSON-escaped forms (`\u002b`) are caught as their pieces. */
export function redactSecretLike(text: string): string {
  return text.replace(CANDIDATE, (m) => (looksLikeSecret(m) ? REDACTED : m));
}
