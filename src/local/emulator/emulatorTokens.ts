/**
 * Access tokens of the emulated identity endpoint: unsigned JWT-shaped strings (`alg: none`) carrying the
 * claims the emulated services check (aud, exp, tid). They are worthless outside the emulator.
 */

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

/** Mints an unsigned JWT-shaped token. */
export function mintToken(claims: TokenClaims): string {
  return `${b64url(JSON.stringify({ typ: 'JWT', alg: 'none' }))}.${b64url(JSON.stringify(claims))}.`;
}

/** Why a token cannot be used. */
export type TokenProblem = 'missing' | 'malformed' | 'expired' | 'wrongAudience';

export type TokenCheck = { readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly problem: TokenProblem; readonly audience?: string; readonly exp?: number };

/** Checks `Authorization: Bearer <token>` against the allowed audiences (compared without trailing slash). */
export function checkBearer(authorization: string | undefined, audiences: readonly string[], nowSeconds: number): TokenCheck {
  if (!authorization) return { ok: false, problem: 'missing' };
  const m = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!m?.[1]) return { ok: false, problem: 'malformed' };
  const parts = m[1].split('.');
  if (parts.length !== 3 || !parts[1]) return { ok: false, problem: 'malformed' };
  let claims: Partial<TokenClaims>;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Partial<TokenClaims>;
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (typeof claims.aud !== 'string' || typeof claims.exp !== 'number') return { ok: false, problem: 'malformed' };
  const aud = claims.aud.replace(/\/+$/, '');
  if (!audiences.some((a) => a.replace(/\/+$/, '').toLowerCase() === aud.toLowerCase())) {
    return { ok: false, problem: 'wrongAudience', audience: claims.aud };
  }
  if (claims.exp <= nowSeconds) return { ok: false, problem: 'expired', exp: claims.exp };
  return { ok: true, claims: claims as TokenClaims };
}
