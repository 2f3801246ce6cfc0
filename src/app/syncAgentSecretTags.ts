/** How a stored sync-agent key is labelled in Key Vault: content type, purpose and identifier tags (never the key). */
import { parseSyncAgentId } from '../domain/armId.js';
import { ROTATED_AT_TAG } from '../domain/handoffState.js';

/**
 * Content type of the stored secret. The value is the agent key exactly as `SqlDataSyncAgentCommand.exe
 * -action submitagentkey -agentkey` takes it, so plain text; what it is for is said by the `purpose` tag.
 */
export const SYNC_AGENT_KEY_CONTENT_TYPE = 'text/plain';
/** Value of the `purpose` tag on every secret this product writes for a sync agent. */
export const SYNC_AGENT_KEY_PURPOSE = 'sqldatasync-agentkey';
/** Key Vault refuses tag values longer than this. */
const MAX_TAG_VALUE_LENGTH = 256;

/** Tags of a stored agent key: identifiers only. Values Key Vault would refuse (over 256 chars) are left out. */
export function syncAgentSecretTags(agentId: string, rotationId: string, rotatedAt: Date): Record<string, string> {
  const parsed = parseSyncAgentId(agentId);
  const tags: Record<string, string> = {
    purpose: SYNC_AGENT_KEY_PURPOSE,
    syncAgentId: agentId,
    server: parsed.serverName,
    syncAgent: parsed.agentName,
    [ROTATED_AT_TAG]: rotatedAt.toISOString(),
    rotationId,
  };
  for (const [k, v] of Object.entries(tags)) if (v.length > MAX_TAG_VALUE_LENGTH) delete tags[k];
  return tags;
}
