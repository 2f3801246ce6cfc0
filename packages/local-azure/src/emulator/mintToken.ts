/**
 * Access tokens of the emulated identity endpoint: JWT-shaped strings carrying the claims the emulated services
 * check (aud, exp, tid), signed HS256 with a key of this emulator run when it has one (startEmulator always does),
 * so that only tokens the emulator issued are accepted; unsigned (`alg: none`) without a key. They are worthless
 * outside the emulator.
 */
import { createHmac } from 'node:crypto';

/** Claims the emulator puts into, and reads from, its tokens. */
export interface TokenClaims {
  readonly aud: string;
  readonly exp: number;
  readonly iat: number;
  readonly tid: string;
  readonly oid: string;
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

/** Mints a JWT-shaped token: HS256-signed with `signingKey`, unsigned without one. */
export function mintToken(claims: TokenClaims, signingKey?: Buffer): string {
  const body = `${b64url(JSON.stringify({ typ: 'JWT', alg: signingKey === undefined ? 'none' : 'HS256' }))}.${b64url(JSON.stringify(claims))}`;
  return `${body}.${signingKey === undefined ? '' : tokenSignature(body, signingKey)}`;
}

/** The HS256 signature of a token's `header.claims` part. */
export function tokenSignature(body: string, key: Buffer): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}
