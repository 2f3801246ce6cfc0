/**
 * The secrecy assertion of the leak tests: not only the whole secret, but any 8-character fragment of its secret
 * parts, in plain or JSON-escaped form (Key Vault escapes `+` as `\u002b`), must be absent from the output.
 */
import { expect } from 'vitest';

/** The forms a secret can take in a text: itself, JSON-escaped, with `+` and `/` escaped. */
function forms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  return [secret, json, json.replace(/\+/g, '\\u002b'), json.replace(/\//g, '\\/')];
}

/** Every 8-character window of the secret's parts of at least 8 characters (split at `:`, as agent keys are). */
export function secretFragments(secret: string): string[] {
  const out = new Set<string>();
  for (const form of forms(secret)) {
    for (const part of form.split(':')) {
      for (let i = 0; i + 8 <= part.length; i += 1) out.add(part.slice(i, i + 8));
    }
  }
  return [...out];
}

/** Fails naming the first fragment of any secret found in `text`. */
export function expectNoSecretIn(text: string, secrets: readonly string[]): void {
  expect(secrets.length, 'the test generated secrets to look for').toBeGreaterThan(0);
  for (const secret of secrets) {
    const found = secretFragments(secret).find((f) => text.includes(f));
    expect(found, 'a fragment of a secret appears in the output').toBeUndefined();
  }
}
