/**
 * One long-running ARM PUT, polled on a {@link PollSchedule} and nothing more: the PUT, then status polls when
 * operations of the same kind are expected to be done. The SDK's `begin*` polls once right after the PUT (a read
 * that can only say InProgress for a 10 s operation) and `*AndWait` GETs the resource once more at the end; with
 * ARM's read bucket at 25 per second per subscription those two reads per operation are what limits a fan-out.
 *
 * Requests go through the SDK client's own pipeline (credential, retries, the ARM budget and long-wait policies).
 * Failures are raised as the SDK raises them, so toRotationError classifies them the same way: a non-2xx answer
 * as a RestError with ARM's error code, a Failed operation as core-lro's "The long-running operation has failed.
 * {code}. {message}", a Canceled one as "Operation was canceled".
 */
import { createHttpHeaders, createPipelineRequest, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { parseRetryAfter } from '../domain/nextDelayMs.js';
import type { PollSchedule } from '../domain/pollSchedule.js';
import { armResponseBody, armRestError } from './armRestError.js';

/** What this needs of an SDK client (a core-client ServiceClient such as SqlManagementClient). */
export interface ArmRequestSender {
  sendRequest(request: PipelineRequest): Promise<PipelineResponse>;
}

export interface LongRunningPutOptions {
  /** Kind of operation, for the durations the schedule learns (e.g. `serverKey`). */
  readonly kind: string;
  readonly schedule: PollSchedule;
  /** Fixed poll interval instead of the schedule (tests). */
  readonly fixedIntervalMs?: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Default PUT; a database update is a long-running PATCH (Location polling, final state via location). */
  readonly method?: 'PUT' | 'PATCH';
}

/** How an adapter paces its long-running operations (the options every ARM key adapter takes). */
export interface LroPacingOptions {
  /** Fixed poll interval instead of the learned schedule (tests: a few milliseconds). */
  readonly pollIntervalMs?: number;
  /** Learned poll times, one per process. */
  readonly pollSchedule?: PollSchedule;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The pacing part of {@link LongRunningPutOptions}, with defaults filled in once per adapter. */
export type LroPacing = Omit<LongRunningPutOptions, 'kind' | 'method'>;

export function lroPacing(o: LroPacingOptions, defaultSchedule: () => PollSchedule): LroPacing {
  return {
    schedule: o.pollSchedule ?? defaultSchedule(),
    ...(o.pollIntervalMs === undefined ? {} : { fixedIntervalMs: o.pollIntervalMs }),
    now: o.now ?? Date.now,
    sleep: o.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms))),
  };
}

/** `{host}{path}?{query}api-version=…` for an ARM resource, each path segment URL-encoded. */
export function armResourceUrl(host: string, segments: readonly string[], apiVersion: string, query = ''): string {
  return `${host.replace(/\/+$/, '')}/${segments.map(encodeURIComponent).join('/')}?${query}api-version=${apiVersion}`;
}

type Status = 'running' | 'succeeded' | { failed: string };

/** Sends the PUT and returns once ARM says the operation succeeded; throws as the SDK would otherwise. */
export async function longRunningPut(client: ArmRequestSender, url: string, body: unknown, o: LongRunningPutOptions): Promise<void> {
  const put = await send(client, createPipelineRequest({ url, method: o.method ?? 'PUT', body: JSON.stringify(body), headers: createHttpHeaders(JSON_HEADERS) }));
  const acceptedAt = o.now();
  if (put.status === 200 || put.status === 201 || put.status === 204) return;
  const statusUrl = put.headers.get('azure-asyncoperation') ?? put.headers.get('operation-location');
  const locationUrl = put.headers.get('location');
  if (statusUrl === undefined && locationUrl === undefined) return;
  let retryAfterMs = parseRetryAfter(put.headers, new Date(o.now()));
  for (let polls = 0; ; polls++) {
    await o.sleep(o.fixedIntervalMs ?? o.schedule.delayMs(o.kind, polls, retryAfterMs));
    const sentAt = o.now();
    const answer = await send(client, createPipelineRequest({ url: statusUrl ?? locationUrl ?? url, method: 'GET', headers: createHttpHeaders(ACCEPT_JSON) }));
    const status = statusUrl !== undefined ? operationStatus(answer) : answer.status === 202 ? 'running' : 'succeeded';
    if (polls === 0 && o.fixedIntervalMs === undefined) o.schedule.observeFirstPoll(o.kind, sentAt - acceptedAt, status !== 'running');
    if (status === 'succeeded') return;
    if (status !== 'running') throw new Error(status.failed);
    retryAfterMs = parseRetryAfter(answer.headers, new Date(o.now()));
  }
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', accept: 'application/json' };
const ACCEPT_JSON = { accept: 'application/json' };

/** Sends through the client's pipeline; a non-2xx answer becomes the RestError core-client would raise. */
async function send(client: ArmRequestSender, request: PipelineRequest): Promise<PipelineResponse> {
  const response = await client.sendRequest(request);
  if (response.status >= 200 && response.status < 300) return response;
  throw armRestError(request, response);
}

function operationStatus(response: PipelineResponse): Status {
  const body = armResponseBody(response);
  const status = typeof body?.['status'] === 'string' ? body['status'].toLowerCase() : '';
  if (status === 'succeeded') return 'succeeded';
  if (status === 'canceled' || status === 'cancelled') return { failed: 'Operation was canceled' };
  if (status === 'failed') {
    const err = body?.['error'] as { code?: unknown; message?: unknown } | undefined;
    const postfix = err ? `. ${String(err.code)}. ${String(err.message)}` : '';
    return { failed: `The long-running operation has failed${postfix}` };
  }
  return 'running';
}
