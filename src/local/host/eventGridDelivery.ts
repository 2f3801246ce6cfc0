/**
 * What arrives at `POST /runtime/webhooks/eventgrid`: Event Grid schema deliveries (an array, header
 * `aeg-event-type: Notification`), the Event Grid subscription validation handshake, and CloudEvents 1.0 single
 * (`application/cloudevents+json`) and batch (`application/cloudevents-batch+json`) deliveries.
 */

/** The event type of Event Grid's subscription validation handshake. */
export const SUBSCRIPTION_VALIDATION_EVENT = 'Microsoft.EventGrid.SubscriptionValidationEvent';

export type EventGridDelivery =
  /** Answer 200 `{ validationResponse: validationCode }`, invoke nothing. */
  | { readonly kind: 'validation'; readonly validationCode: string }
  /** Invoke the function once per event. */
  | { readonly kind: 'events'; readonly schema: 'eventGrid' | 'cloudEvents'; readonly events: readonly unknown[] }
  /** Answer 200 and invoke nothing (e.g. `SubscriptionDeletion`). */
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'rejected'; readonly status: 400; readonly message: string };

export interface DeliveryHeaders {
  /** `aeg-event-type`. */
  readonly eventType?: string | undefined;
  readonly contentType?: string | undefined;
}

/** Classifies one webhook request body. Pure. */
export function parseEventGridDelivery(headers: DeliveryHeaders, body: string): EventGridDelivery {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'rejected', status: 400, message: 'request body is not valid JSON' };
  }
  const contentType = (headers.contentType ?? '').toLowerCase();
  const aegType = (headers.eventType ?? '').toLowerCase();

  if (contentType.startsWith('application/cloudevents-batch+json')) {
    if (!Array.isArray(json)) return { kind: 'rejected', status: 400, message: 'a CloudEvents batch must be a JSON array' };
    if (!json.every(isCloudEvent)) return { kind: 'rejected', status: 400, message: 'every batch entry must be a CloudEvent (specversion)' };
    return { kind: 'events', schema: 'cloudEvents', events: json };
  }
  if (contentType.startsWith('application/cloudevents+json') || (!Array.isArray(json) && isCloudEvent(json))) {
    if (!isCloudEvent(json)) return { kind: 'rejected', status: 400, message: 'a CloudEvent must be a JSON object with specversion' };
    return { kind: 'events', schema: 'cloudEvents', events: [json] };
  }

  if (!Array.isArray(json)) {
    return { kind: 'rejected', status: 400, message: 'an Event Grid delivery must be a JSON array of events' };
  }
  if (json.length > 0 && json.every(isCloudEvent)) return { kind: 'events', schema: 'cloudEvents', events: json };

  const first = json[0] as Record<string, unknown> | undefined;
  if (aegType === 'subscriptionvalidation' || first?.['eventType'] === SUBSCRIPTION_VALIDATION_EVENT) {
    const data = first?.['data'] as Record<string, unknown> | undefined;
    const code = data?.['validationCode'];
    if (typeof code !== 'string' || code === '') {
      return { kind: 'rejected', status: 400, message: 'SubscriptionValidationEvent without data.validationCode' };
    }
    return { kind: 'validation', validationCode: code };
  }
  if (aegType === 'subscriptiondeletion') return { kind: 'ignored', reason: 'subscription deletion notice' };
  if (aegType !== '' && aegType !== 'notification') {
    return { kind: 'rejected', status: 400, message: `unknown aeg-event-type ${headers.eventType ?? ''}` };
  }
  if (!json.every((e) => typeof e === 'object' && e !== null)) {
    return { kind: 'rejected', status: 400, message: 'every event must be a JSON object' };
  }
  return { kind: 'events', schema: 'eventGrid', events: json };
}

function isCloudEvent(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'specversion' in v;
}
