/**
 * The edge where Azure SDK failures become domain errors. Every adapter funnels its catch blocks through
 * toRotationError, so the use cases only ever see RotationError with a code, a class and identifiers.
 *
 * What arrives here, and what it becomes (rules in this order):
 * 1. a RotationError (raised inside a pipeline policy): passed through;
 * 2. @azure/identity sign-in failures (`AggregateAuthenticationError` from DefaultAzureCredential when no
 *    credential works, `CredentialUnavailableError`, `AuthenticationRequiredError`, `AuthenticationError`):
 *    `AuthenticationFailed`, terminal unless the token endpoint answered 429 or 5xx;
 * 3. core-lro's failed operation `The long-running operation has failed. {code}. {message}`: the code,
 *    classified by the table; without a code, `OperationFailed` (retriable, few attempts); core-lro's
 *    `Operation was canceled`: `OperationCanceled`, terminal;
 * 4. an answer with a status (RestError): the code, classified by the table, or by the status when unknown;
 * 5. a transport failure (RestError without status, a network code of NETWORK_ERROR_CODES, AbortError):
 *    `NetworkError`, retriable;
 * 6. anything else (a TypeError, a string): `UnexpectedError`, terminal, naming the step. It is a bug;
 *    retrying it ten times only hides it.
 */
import {
  NETWORK_ERROR_CODES,
  classifyArmError,
  knownArmErrorCode,
  minRetryDelayMs,
} from '../domain/classifyArmError.js';
import { parseRetryAfter } from '../domain/nextDelayMs.js';
import {
  KEY_VAULT_ERROR_CODES,
  RotationError,
  isRotationError,
  type ErrorClass,
  type ErrorCode,
  type ErrorDetails,
} from '../domain/errors.js';

/** core-lro (2.x) reports a failed operation as `The long-running operation has failed[. {code}. {message}]`. */
const LRO_FAILED = /^The long-running operation has failed(?:\.\s+([^.\s]*)\.\s*([\s\S]*))?\.?$/;
/** core-lro's message for an operation that ended `Canceled`. */
const LRO_CANCELED = /^Operation was canceled/;
/** core-lro's message when polling stopped in a state that is neither success nor failure. */
const LRO_INCOMPLETE = /^Polling completed without succeeding or failing/;
/** Names of @azure/identity's errors that mean "could not sign in". */
const SIGN_IN_ERRORS = new Set([
  'AggregateAuthenticationError',
  'CredentialUnavailableError',
  'AuthenticationRequiredError',
  'AuthenticationError',
]);

const KEY_VAULT_CODES: ReadonlyMap<string, ErrorCode> = new Map(KEY_VAULT_ERROR_CODES.map((c) => [c.toLowerCase(), c]));

interface RestErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined }; bodyAsText?: string | null };
}

/**
 * Translates any thrown value from an SDK call into a RotationError. `details.step` names the adapter call
 * (e.g. `serverKeys.beginCreateOrUpdate`); it is quoted when the failure is a bug (`UnexpectedError`).
 */
export function toRotationError(error: unknown, details: ErrorDetails, now: Date = new Date()): RotationError {
  if (isRotationError(error)) return error;
  const isObject = typeof error === 'object' && error !== null;
  const e = (isObject ? error : {}) as RestErrorLike;
  const name = typeof e.name === 'string' ? e.name : undefined;
  const message = typeof e.message === 'string' ? e.message : 'unknown error';
  const statusCode = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const rawCode = typeof e.code === 'string' ? e.code : undefined;

  if (!isObject) return unexpected(error, typeof error === 'string' ? 'a string' : typeof error, details);

  // @azure/identity: no credential could sign in. Retrying will not change that (except a token endpoint that
  // answered 5xx/429); an AggregateAuthenticationError (DefaultAzureCredential: nothing worked, e.g. no identity
  // assigned) used to fall through as a network error and was retried for minutes.
  if (name !== undefined && SIGN_IN_ERRORS.has(name)) {
    const transient = statusCode !== undefined && (statusCode === 429 || statusCode >= 500);
    return new RotationError('AuthenticationFailed', transient ? 'retriable' : 'terminal', `Sign-in failed: ${message}`, {
      cause: error,
      details: { ...details, ...(statusCode === undefined ? {} : { statusCode }) },
    });
  }

  if (statusCode === undefined) {
    const lro = LRO_FAILED.exec(message);
    if (lro) return lroFailure(lro[1], lro[2], error, details);
    if (LRO_CANCELED.test(message)) {
      return new RotationError('OperationCanceled', 'terminal', 'Operation canceled: the long-running operation ended Canceled', {
        cause: error,
        details,
      });
    }
    if (LRO_INCOMPLETE.test(message)) return lroFailure(undefined, message, error, details);
  }

  const headers = e.response?.headers;
  const retryAfterMs = headers && typeof headers.get === 'function' ? parseRetryAfter(headers, now) : undefined;
  const fullDetails: ErrorDetails = {
    ...details,
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };

  if (statusCode === undefined) {
    const known = rawCode === undefined ? undefined : knownArmErrorCode(rawCode);
    if (known !== undefined) return classified(known, undefined, message, error, fullDetails);
    const transport =
      (rawCode !== undefined && NETWORK_ERROR_CODES.has(rawCode)) || name === 'RestError' || name === 'AbortError';
    if (transport) {
      return new RotationError('NetworkError', 'retriable', `Network error${rawCode ? ` (${rawCode})` : ''}: ${message}`, {
        cause: error,
        details: fullDetails,
      });
    }
    return unexpected(error, name ?? 'an object', fullDetails);
  }

  return classified(rawCode, statusCode, message, error, fullDetails);
}

/** A failed long-running operation: its code classified by the table, or `OperationFailed` without one. */
function lroFailure(rawCode: string | undefined, text: string | undefined, cause: unknown, details: ErrorDetails): RotationError {
  const hasCode = rawCode !== undefined && rawCode !== '' && rawCode !== 'undefined';
  if (!hasCode) {
    const why = text === undefined || text.trim() === '' ? '' : `: ${text.trim()}`;
    return new RotationError('OperationFailed', 'retriable', `Operation failed without an error code${why}`, { cause, details });
  }
  const code = codeOf(rawCode, undefined);
  const cls = classifyArmError({ code: rawCode });
  return new RotationError(code.code, toClass(cls), `Operation failed: ${rawCode}: ${text ?? ''}`.trim(), {
    cause,
    details: withRetryFloor({ ...details, ...code.extra }, rawCode),
  });
}

function classified(rawCode: string | undefined, statusCode: number | undefined, message: string, cause: unknown, details: ErrorDetails): RotationError {
  const code = codeOf(rawCode, statusCode);
  const cls = classifyArmError({ ...(statusCode === undefined ? {} : { statusCode }), ...(rawCode === undefined ? {} : { code: rawCode }) });
  return new RotationError(code.code, toClass(cls), `${statusCode ?? ''} ${rawCode ?? 'no error code'}: ${message}`.trim(), {
    cause,
    details: withRetryFloor({ ...details, ...code.extra }, rawCode),
  });
}

/** A code the table retries on a long schedule waits at least that long (as if ARM had sent Retry-After). */
function withRetryFloor(details: ErrorDetails, rawCode: string | undefined): ErrorDetails {
  const floor = rawCode === undefined ? undefined : minRetryDelayMs(rawCode);
  if (floor === undefined || (details.retryAfterMs ?? 0) >= floor) return details;
  return { ...details, retryAfterMs: floor };
}

/** The closed-union code for an Azure code: known by name, or `UnknownAzureError` / `HttpError` with the raw code kept. */
function codeOf(rawCode: string | undefined, statusCode: number | undefined): { code: ErrorCode; extra: Pick<ErrorDetails, 'azureCode'> } {
  if (rawCode === undefined || rawCode === '') return { code: statusCode === undefined ? 'UnexpectedResponse' : 'HttpError', extra: {} };
  const known = knownArmErrorCode(rawCode) ?? KEY_VAULT_CODES.get(rawCode.toLowerCase());
  if (known !== undefined) return { code: known, extra: {} };
  return { code: 'UnknownAzureError', extra: { azureCode: rawCode } };
}

// 'success' (ServerKeyNameAlreadyExists) is decided by the caller, which knows what "already there" means.
function toClass(cls: ErrorClass | 'success'): ErrorClass {
  return cls === 'success' ? 'terminal' : cls;
}

/** A failure that is neither an Azure answer nor a transport error: a bug, terminal, naming the step. */
function unexpected(cause: unknown, kind: string, details: ErrorDetails): RotationError {
  const step = details.step ?? 'an Azure call';
  const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : `${kind} was thrown`;
  return new RotationError('UnexpectedError', 'terminal', `Unexpected failure in ${step}: ${text}`, { cause, details });
}

/** True when the error means the resource already exists in the wanted state. */
export function isAlreadyThere(error: RotationError): boolean {
  const code = error.details.azureCode ?? error.code;
  return classifyArmError({ code, ...(error.details.statusCode === undefined ? {} : { statusCode: error.details.statusCode }) }) === 'success';
}
