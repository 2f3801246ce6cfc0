/**
 * The edge where Azure SDK failures become domain errors. Every adapter funnels its catch blocks through
 * toRotationError, so the use cases only ever see RotationError with a code, a class and identifiers.
 */
import { classifyArmError } from '../domain/errorClassification.js';
import { parseRetryAfter } from '../domain/backoff.js';
import { RotationError, isRotationError, type ErrorDetails } from '../domain/errors.js';

/** Node/undici network error codes that mean "the request may not have reached Azure, try again". */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'REQUEST_SEND_ERROR',
]);

/** core-lro reports a failed operation as `The long-running operation has failed. {code}. {message}`. */
const LRO_FAILED = /^The long-running operation has failed\. ([A-Za-z][A-Za-z0-9_.]*)\. ([\s\S]*)$/;

interface RestErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined }; bodyAsText?: string | null };
}

/** Translates any thrown value from an SDK call into a RotationError. */
export function toRotationError(error: unknown, details: ErrorDetails, now: Date = new Date()): RotationError {
  if (isRotationError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as RestErrorLike;
  const message = typeof e.message === 'string' ? e.message : 'unknown error';

  // @azure/identity: no credential could sign in. Retrying will not change that (except a token endpoint that
  // answered 5xx/429), and a retriable label here made a missing identity look like a network blip for minutes.
  if (e.name === 'CredentialUnavailableError' || e.name === 'AuthenticationRequiredError' || e.name === 'AuthenticationError') {
    const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
    const transient = status !== undefined && (status === 429 || status >= 500);
    return new RotationError('AuthenticationFailed', transient ? 'retriable' : 'terminal', `Sign-in failed: ${message}`, {
      cause: error,
      details: { ...details, ...(status === undefined ? {} : { statusCode: status }) },
    });
  }

  const lro = LRO_FAILED.exec(message);
  if (lro) {
    const code = lro[1] ?? 'OperationFailed';
    const cls = classifyArmError({ code });
    return new RotationError(code, cls === 'success' ? 'terminal' : cls, `Operation failed: ${code}: ${lro[2] ?? ''}`, {
      cause: error,
      details,
    });
  }

  const statusCode = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const rawCode = typeof e.code === 'string' ? e.code : undefined;
  const headers = e.response?.headers;
  const retryAfterMs = headers ? parseRetryAfter(headers, now) : undefined;
  const fullDetails: ErrorDetails = {
    ...details,
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };

  if (statusCode === undefined && (rawCode === undefined || NETWORK_CODES.has(rawCode) || e.name === 'AbortError')) {
    return new RotationError('NetworkError', 'retriable', `Network error${rawCode ? ` (${rawCode})` : ''}: ${message}`, {
      cause: error,
      details: fullDetails,
    });
  }

  const code = rawCode ?? (statusCode === undefined ? 'UnexpectedResponse' : `Http${statusCode}`);
  const cls = classifyArmError({
    ...(statusCode === undefined ? {} : { statusCode }),
    code,
  });
  // 'success' (ServerKeyNameAlreadyExists) is decided by the caller, which knows what "already there" means.
  return new RotationError(code, cls === 'success' ? 'terminal' : cls, `${statusCode ?? ''} ${code}: ${message}`.trim(), {
    cause: error,
    details: fullDetails,
  });
}

/** True when the error means the resource already exists in the wanted state. */
export function isAlreadyThere(error: RotationError): boolean {
  return classifyArmError({ code: error.code, ...(error.details.statusCode === undefined ? {} : { statusCode: error.details.statusCode }) }) === 'success';
}
