import { sessionIdFor } from '../../app/sessionIdFor.js';

/** The session of a body that is a work item (anything with a string `target`); none otherwise. */
export function sessionOfBody(body: unknown): string | undefined {
  const target = typeof body === 'object' && body !== null ? (body as { target?: unknown }).target : undefined;
  return typeof target === 'string' && target !== '' ? sessionIdFor({ target }) : undefined;
}
