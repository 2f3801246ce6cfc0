/**
 * The local host's HTTP surface, as the Functions host answers it:
 * - `POST /runtime/webhooks/eventgrid?functionName=<name>`: Event Grid schema (+ SubscriptionValidation handshake)
 *   and CloudEvents 1.0 single and batch (+ the `OPTIONS` webhook validation handshake), one invocation per event;
 * - `POST /admin/functions/<name>` with `{"input": ...}`: runs a non-HTTP function now, answering 202;
 * - `GET /admin/host/status`: `{"state":"Running"}` once ready; `GET /admin/functions`: the functions.
 * Every request passes checkRequest.ts first (host key, no cross-origin, loopback Host, JSON admin bodies, 1 MB).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionDefinition } from '../../functionsHost/functionDefinition.js';
import { adminInput } from './adminInput.js';
import { parseEventGridDelivery } from './eventGridDelivery.js';
import type { HostState } from './localHost.js';
import { checkRequest, readLimitedBody, RequestBodyTooLargeError, type Refusal } from './checkRequest.js';

/** What the routes need of the host. */
export interface HostRoutesContext {
  /** By lower-case name. */
  readonly functions: ReadonlyMap<string, FunctionDefinition>;
  readonly state: () => HostState;
  readonly startedAt: number;
  readonly key: string;
  readonly hostname: string;
  /** Runs one invocation (tracked by the host); rejects when the function fails. */
  readonly run: (def: FunctionDefinition, input: unknown, reason: string) => Promise<void>;
  readonly hostLog: (level: 'information' | 'warning' | 'error', message: string) => void;
}

/** The request listener of the host's HTTP server; an unexpected failure answers 500 and is logged. */
export function hostRequestHandler(ctx: HostRoutesContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((error: unknown) => {
      ctx.hostLog('error', `request ${req.method ?? ''} ${req.url ?? ''} failed: ${String(error)}`);
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.end();
    });
  };
}

async function handle(ctx: HostRoutesContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '').toLowerCase();
  const refusal = checkRequest(req, url, { key: ctx.key, hostname: ctx.hostname });
  if (refusal !== undefined) return refuse(req, res, refusal);
  let body: string;
  try {
    body = await readLimitedBody(req);
  } catch (error) {
    if (error instanceof RequestBodyTooLargeError) return refuse(req, res, { status: 413, message: error.message });
    throw error;
  }

  if (path === '/admin/host/status' && req.method === 'GET') {
    return send(res, 200, { state: ctx.state(), version: '4.x-local', processUptime: Date.now() - ctx.startedAt });
  }
  if (path === '/admin/functions' && req.method === 'GET') {
    return send(res, 200, [...ctx.functions.values()].map((f) => ({ name: f.name, trigger: f.trigger.type })));
  }
  if (path === '/runtime/webhooks/eventgrid') return eventGrid(ctx, req, res, url, body);
  const admin = /^\/admin\/functions\/([^/]+)$/.exec(path);
  if (admin !== null && req.method === 'POST') return runNow(ctx, res, decodeURIComponent(admin[1]!), body);
  send(res, 404, { error: 'not found' });
}

/** `POST /admin/functions/<name>`: starts the function in the background and answers 202. */
function runNow(ctx: HostRoutesContext, res: ServerResponse, name: string, body: string): void {
  const def = ctx.functions.get(name);
  if (def === undefined) return send(res, 404, { error: `no function named ${name}` });
  if (ctx.state() !== 'Running') return send(res, 503, { error: `host is ${ctx.state()}` });
  let input: unknown;
  try {
    const parsed = body === '' ? undefined : (JSON.parse(body) as unknown);
    input = typeof parsed === 'object' && parsed !== null ? (parsed as { input?: unknown }).input : undefined;
  } catch {
    return send(res, 400, { error: 'request body is not valid JSON' });
  }
  void ctx.run(def, adminInput(def, input), 'Admin').catch(() => undefined); // logged by invokeFunction
  res.writeHead(202).end();
}

async function eventGrid(ctx: HostRoutesContext, req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
  const name = url.searchParams.get('functionName') ?? '';
  const def = ctx.functions.get(name.toLowerCase());
  if (def === undefined || def.trigger.type !== 'eventGrid') {
    return send(res, 404, { error: `no Event Grid function named ${name}` });
  }
  if (req.method === 'OPTIONS') {
    // CloudEvents webhook validation (abuse protection): allow the requesting origin.
    const origin = header(req, 'webhook-request-origin');
    if (origin === undefined) return send(res, 400, { error: 'WebHook-Request-Origin header is required' });
    res.writeHead(200, { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*', Allow: 'POST, OPTIONS' }).end();
    return;
  }
  if (req.method !== 'POST') return send(res, 405, { error: 'use POST' });
  const delivery = parseEventGridDelivery({ eventType: header(req, 'aeg-event-type'), contentType: header(req, 'content-type') }, body);
  switch (delivery.kind) {
    case 'rejected':
      return send(res, delivery.status, { error: delivery.message });
    case 'validation':
      ctx.hostLog('information', `Event Grid subscription validated for ${def.name}`);
      return send(res, 200, { validationResponse: delivery.validationCode });
    case 'ignored':
      res.writeHead(200).end();
      return;
    case 'events': {
      if (ctx.state() !== 'Running') return send(res, 503, { error: `host is ${ctx.state()}` });
      // One invocation per event, as the Event Grid extension does; any failure asks Event Grid to redeliver.
      let failed = 0;
      for (const event of delivery.events) {
        try {
          await ctx.run(def, event, `EventGrid (${delivery.schema})`);
        } catch {
          failed++;
        }
      }
      if (failed > 0) return send(res, 500, { error: `${failed} of ${delivery.events.length} invocations failed` });
      res.writeHead(200).end();
      return;
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

/** Answers a refused request; what is left of its body is read and dropped, then the connection closes. */
function refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  req.resume();
  res.setHeader('connection', 'close');
  send(res, refusal.status, { error: refusal.message });
}
