/**
 * The payload formats of the webhook notifier:
 *
 * - `generic`: the notification itself as JSON, with `source: "sql-key-rotation"` (stable shape, see
 *   {@link RotationNotification}).
 * - `teams`: a message with one Adaptive Card (v1.4) attachment. This is what Teams *Workflows* webhooks
 *   ("Post to a channel when a webhook request is received") accept; they do not accept the legacy
 *   MessageCard of the retired Office 365 connectors. Classic incoming webhooks accept it too.
 * - `slack`: `{ text, blocks }` (header, section in mrkdwn, context) for Slack incoming webhooks.
 *
 * Pure: identifiers and outcomes in, payload out.
 */
import type { NotificationConfig } from '../config/appConfig.js';
import type { RotationNotification } from '../app/rotationNotification.js';

/** The `source` field of generic payloads. */
export const NOTIFICATION_SOURCE = 'sql-key-rotation';
/** Server or agent lines shown in a Teams or Slack message before "... and N more". */
export const MAX_LISTED_TARGETS = 25;

/** The request body for a notification in the given format. Pure. */
export function formatNotification(n: RotationNotification, format: NotificationConfig['format']): unknown {
  switch (format) {
    case 'generic':
      return { source: NOTIFICATION_SOURCE, ...n };
    case 'teams':
      return teamsMessage(n);
    case 'slack':
      return slackMessage(n);
  }
}

/** A one-line title. */
export function notificationTitle(n: RotationNotification): string {
  switch (n.kind) {
    case 'rotationCompleted': {
      const state = n.summary.failed > 0 ? 'finished with failures' : n.summary.deferred > 0 ? 'in progress' : 'completed';
      return `Key rotation ${state}: ${n.vault}/${n.key} version ${n.version}`;
    }
    case 'rotationRefused':
      return `Key version refused (${n.code}): ${n.vault}/${n.key} version ${n.version}`;
    case 'deadLetter':
      return n.workItem === 'syncAgentKey'
        ? `Sync agent key rotation failed for good on ${shortId(n.target)}: ${n.reason}`
        : `Key rotation failed for good on ${shortId(n.target)}: ${n.reason}`;
    case 'criticalDrift':
      return `CRITICAL: TDE protector of ${shortId(n.target)} is on an unusable key version (${n.code})`;
    case 'syncAgentRotation':
      return `Sync agent key rotation: ${counts(n.summary)}`;
  }
}

/** Name/value facts shown under the title. */
export function notificationFacts(n: RotationNotification): { title: string; value: string }[] {
  const facts: { title: string; value: string }[] = [];
  const add = (title: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') facts.push({ title, value: String(value) });
  };
  const addKeyVersion = (k: { readonly vault?: string; readonly key?: string; readonly version?: string }): void => {
    add('Vault', k.vault);
    add('Key', k.key);
    add('Version', k.version);
  };
  switch (n.kind) {
    case 'rotationCompleted':
      addKeyVersion(n);
      add('Servers', counts(n.summary));
      break;
    case 'rotationRefused':
      addKeyVersion(n);
      add('Reason', n.reason);
      add('Servers untouched', n.servers);
      break;
    case 'deadLetter':
      add(n.workItem === 'syncAgentKey' ? 'Sync agent' : n.workItem === 'discover' ? 'Discovery scope' : targetLabel(n.targetKind), n.target);
      addKeyVersion(n);
      add('Secret name', n.secretName);
      add('Reason', n.reason);
      add('Description', n.description);
      add('Attempts', n.attempt);
      break;
    case 'criticalDrift':
      add(targetLabel(n.targetKind), n.target);
      addKeyVersion(n);
      add('Reason', n.reason);
      add('Impact', 'databases become inaccessible within about 30 minutes of losing key access');
      break;
    case 'syncAgentRotation':
      add('Agents', counts(n.summary));
      break;
  }
  add('Trigger', 'trigger' in n ? n.trigger : undefined);
  add('Correlation id', n.correlationId);
  add('At', n.at);
  return facts;
}

/** One line per server or agent (at most {@link MAX_LISTED_TARGETS}, then a count of the rest). */
export function notificationLines(n: RotationNotification): string[] {
  let lines: string[];
  if (n.kind === 'rotationCompleted') {
    lines = n.servers.map((s) => `${shortId(s.server)}${s.targetKind === undefined || s.targetKind === 'server' ? '' : ` (${targetLabel(s.targetKind).toLowerCase()})`}: ${s.outcome}${s.code === undefined ? '' : ` (${s.code})`}: ${s.detail}`);
  } else if (n.kind === 'syncAgentRotation') {
    lines = n.agents.map(
      (a) =>
        `${shortId(a.agent)}${a.secretName === undefined ? '' : ` (secret ${a.secretName})`}: ${a.outcome}${a.code === undefined ? '' : ` (${a.code})`}`,
    );
  } else {
    return [];
  }
  if (lines.length <= MAX_LISTED_TARGETS) return lines;
  return [...lines.slice(0, MAX_LISTED_TARGETS), `... and ${lines.length - MAX_LISTED_TARGETS} more`];
}

function teamsMessage(n: RotationNotification): unknown {
  const failed = n.kind === 'deadLetter' || n.kind === 'rotationRefused' || ('summary' in n && n.summary.failed > 0);
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: notificationTitle(n),
              weight: 'Bolder',
              size: 'Medium',
              wrap: true,
              ...(failed ? { color: 'Attention' } : {}),
            },
            { type: 'FactSet', facts: notificationFacts(n) },
            ...notificationLines(n).map((text) => ({ type: 'TextBlock', text, wrap: true, spacing: 'None' })),
          ],
        },
      },
    ],
  };
}

function slackMessage(n: RotationNotification): unknown {
  const title = notificationTitle(n);
  const facts = notificationFacts(n).map((f) => `*${slackEscape(f.title)}:* ${slackEscape(f.value)}`);
  const lines = notificationLines(n).map((l) => `• ${slackEscape(l)}`);
  return {
    text: title,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(title, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: truncate(facts.join('\n'), 3000) } },
      ...(lines.length > 0 ? [{ type: 'section', text: { type: 'mrkdwn', text: truncate(lines.join('\n'), 3000) } }] : []),
    ],
  };
}

/** Slack mrkdwn control characters. */
function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function counts(summary: Readonly<Record<string, number>>): string {
  return Object.entries(summary)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ') || 'none';
}

/** `resourceGroup/server` (or `server/agent`) from an ARM id; the id itself when it is not one. */
function shortId(id: string): string {
  const m = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Sql\/(?:servers|managedInstances)\/([^/]+)(?:\/(?:syncAgents|databases)\/([^/]+))?/i.exec(id);
  if (!m) return id;
  return m[3] === undefined ? `${m[1]}/${m[2]}` : `${m[1]}/${m[2]}/${m[3]}`;
}

/** How a fact names a target of this kind (a logical server when unknown, as before). */
function targetLabel(kind: 'server' | 'managedInstance' | 'database' | undefined): string {
  return kind === 'managedInstance' ? 'Managed instance' : kind === 'database' ? 'Database' : 'Server';
}
