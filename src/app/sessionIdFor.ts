/**
 * The Service Bus session of a work item: every item for one target (server or sync agent) shares one session, so
 * that a session-enabled queue hands one target to one worker at a time, across instances. ARM ids are
 * case-insensitive, hence the lowercasing: two spellings of one server must not become two sessions.
 */
import { createHash } from 'node:crypto';
import type { WorkItem } from '../domain/workItem.js';

/** Service Bus' limit on SessionId. */
export const MAX_SESSION_ID_LENGTH = 128;

/**
 * SessionId of a work item: its lowercased target ARM id. An id longer than Service Bus allows (a long resource
 * group and server name) keeps its last 80 characters, readable in the portal, after a hash of the whole id.
 */
export function sessionIdFor(item: Pick<WorkItem, 'target'>): string {
  const id = item.target.toLowerCase();
  if (id.length <= MAX_SESSION_ID_LENGTH) return id;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 40);
  return `${hash}~${id.slice(-80)}`;
}
