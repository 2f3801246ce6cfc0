import type { NotificationConfig } from './appConfig.js';
import { ConfigProblems, describe, object, type Json } from './configProblems.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const FORMATS: readonly NotificationConfig['format'][] = ['generic', 'teams', 'slack'];

/** The `notifications` section. Webhook URLs often embed a token: problems never echo them. */
export function parseNotifications(p: ConfigProblems, v: Json, path: string): NotificationConfig | undefined {
  if (v === undefined) return undefined;
  const o = object(p, v, path, ['webhookUrl', 'format']);
  if (o === undefined) return undefined;
  // Webhook URLs often embed a token: problems describe them without echoing them.
  let webhookUrl: string | undefined;
  const raw = o['webhookUrl'];
  if (typeof raw !== 'string') p.add(`${path}.webhookUrl`, `is required and must be a string, got ${raw === undefined ? 'nothing' : typeof raw}`);
  else {
    let url: URL | undefined;
    try {
      url = /\s/.test(raw) ? undefined : new URL(raw);
    } catch {
      url = undefined;
    }
    if (url === undefined) p.add(`${path}.webhookUrl`, 'is not a valid absolute URL');
    else if (url.username !== '' || url.password !== '') p.add(`${path}.webhookUrl`, 'must not hold userinfo (user:password@)');
    else if (url.protocol === 'https:') webhookUrl = raw;
    else if (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname)) webhookUrl = raw;
    else p.add(`${path}.webhookUrl`, `must be https (http only for localhost), got ${url.protocol.replace(':', '')}`);
  }
  let format: NotificationConfig['format'] = 'generic';
  if (o['format'] !== undefined) {
    if (FORMATS.includes(o['format'] as NotificationConfig['format'])) format = o['format'] as NotificationConfig['format'];
    else p.add(`${path}.format`, `must be one of ${FORMATS.join(', ')}, got ${describe(o['format'])}`);
  }
  return webhookUrl === undefined ? undefined : { webhookUrl, format };
}
