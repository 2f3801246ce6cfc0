/**
 * What the local host asks of a request before it runs anything, so that it is safe to leave running on a
 * developer machine (where, in AZURE mode, functions act under the operator's `az login` identity):
 * - a loopback `Host` header (`127.0.0.1`, `localhost`, `[::1]`, or the name the host was told to listen on):
 *   a DNS-rebinding page reaches 127.0.0.1 under its own host name;
 * - no `Origin` header: browsers add one to every cross-origin request (and to same-origin POSTs), tools and Event
 *   Grid do not, so a web page open in the operator's browser cannot invoke functions, even with a `text/plain`
 *   "simple" request that skips the CORS preflight;
 * - the host key of this run (`x-functions-key` header or `?code=`, as Azure Functions takes function keys) on the
 *   admin and Event Grid endpoints;
 * - a JSON content type on admin requests (when they name a content type or carry a body);
 * - at most 1 MB of body (Event Grid sends at most 1 MB per delivery).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Largest request body the host reads (Event Grid's delivery limit). */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;
/** Header carrying the host key, as in Azure Functions. */
export const FUNCTIONS_KEY_HEADER = 'x-functions-key';
/** Query parameter carrying the host key, as in Azure Functions (and Event Grid webhook URLs). */
export const FUNCTIONS_KEY_QUERY = 'code';

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];

/** A request the host refuses, with the status and a message that says why. */
export interface Refusal {
  readonly status: 401 | 403 | 413 | 415;
  readonly message: string;
}

/** Thrown by {@link readLimitedBody} when the body is larger than allowed. */
export class RequestBodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body is larger than ${limit} bytes`);
    this.name = 'RequestBodyTooLargeError';
  }
}

/** A fresh random key for one run of the host (256 bits, URL-safe). */
export function newHostKey(): string {
  return randomBytes(32).toString('base64url');
}

export interface RequestGuardOptions {
  readonly key: string;
  /** The name the host listens on, allowed in `Host` besides the loopback names. */
  readonly hostname: string;
}

/** The refusal for a request, or undefined when it may proceed (its body still to be read with the limit). */
export function checkRequest(req: IncomingMessage, url: URL, options: RequestGuardOptions): Refusal | undefined {
  const host = hostOf(req.headers.host);
  if (host === undefined || !(LOOPBACK_HOSTS.includes(host) || host === options.hostname.toLowerCase())) {
    return { status: 403, message: `Host header ${JSON.stringify(req.headers.host ?? '')} is not a loopback address: refused` };
  }
  if (req.headers.origin !== undefined) {
    return { status: 403, message: `cross-origin requests are refused (Origin: ${req.headers.origin})` };
  }
  const path = url.pathname.toLowerCase();
  const admin = path === '/admin' || path.startsWith('/admin/');
  if (admin || path.startsWith('/runtime/webhooks/')) {
    const given = single(req.headers[FUNCTIONS_KEY_HEADER]) ?? url.searchParams.get(FUNCTIONS_KEY_QUERY) ?? undefined;
    if (given === undefined || given === '') {
      return { status: 401, message: `a host key is required: send the key printed at start-up as ${FUNCTIONS_KEY_HEADER} or ?${FUNCTIONS_KEY_QUERY}=` };
    }
    if (!sameKey(given, options.key)) return { status: 401, message: 'the host key is not valid for this run' };
  }
  const contentType = req.headers['content-type'];
  if (admin && (contentType !== undefined || hasBody(req)) && !isJson(contentType)) {
    return {
      status: 415,
      message: `admin requests must be application/json (got ${JSON.stringify(contentType ?? 'no content type')})`,
    };
  }
  const length = Number(req.headers['content-length']);
  if (Number.isFinite(length) && length > MAX_REQUEST_BODY_BYTES) {
    return { status: 413, message: `request body is larger than ${MAX_REQUEST_BODY_BYTES} bytes` };
  }
  return undefined;
}

/**
 * Reads the body as UTF-8, rejecting with {@link RequestBodyTooLargeError} as soon as it passes `limit` bytes. The
 * rest is read and dropped (not kept) rather than the socket destroyed, so that the client gets the 413 answer.
 */
export function readLimitedBody(req: IncomingMessage, limit = MAX_REQUEST_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(new RequestBodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/** Host name of a `Host` header, lowercased, without port or IPv6 brackets. */
function hostOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(header) ?? /^([^:]+)(?::\d+)?$/.exec(header);
  return m?.[1]?.toLowerCase();
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function isJson(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function sameKey(given: string, key: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}
