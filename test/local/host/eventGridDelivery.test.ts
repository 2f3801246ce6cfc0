import { describe, expect, it } from 'vitest';
import { parseEventGridDelivery, SUBSCRIPTION_VALIDATION_EVENT } from '../../../src/local/host/eventGridDelivery.js';

const egEvent = { id: '1', eventType: 'Microsoft.KeyVault.KeyNewVersionCreated', subject: 'k', data: {} };
const ce = { specversion: '1.0', id: '1', type: 'Microsoft.KeyVault.KeyNewVersionCreated', source: '/s' };

describe('Function: parseEventGridDelivery', () => {
  it.each([
    ['an Event Grid array', { eventType: 'Notification', contentType: 'application/json' }, [egEvent, egEvent], 'eventGrid', 2],
    ['an Event Grid array without aeg-event-type', {}, [egEvent], 'eventGrid', 1],
    ['a single CloudEvent', { contentType: 'application/cloudevents+json; charset=utf-8' }, ce, 'cloudEvents', 1],
    ['a single CloudEvent sent as application/json', { contentType: 'application/json' }, ce, 'cloudEvents', 1],
    ['a CloudEvents batch', { contentType: 'application/cloudevents-batch+json' }, [ce, ce, ce], 'cloudEvents', 3],
    ['CloudEvents in an array with aeg-event-type', { eventType: 'Notification' }, [ce], 'cloudEvents', 1],
  ])('reads %s', (_, headers, body, schema, count) => {
    const d = parseEventGridDelivery(headers, JSON.stringify(body));

    expect(d).toMatchObject({ kind: 'events', schema });
    expect(d.kind === 'events' ? d.events.length : -1).toBe(count);
  });

  it('answers the subscription validation handshake with the validation code', () => {
    const body = [{ id: 'v', eventType: SUBSCRIPTION_VALIDATION_EVENT, data: { validationCode: 'abc' } }];

    expect(parseEventGridDelivery({ eventType: 'SubscriptionValidation' }, JSON.stringify(body))).toEqual({
      kind: 'validation',
      validationCode: 'abc',
    });
  });

  it('recognises the validation event by its type when the header is missing', () => {
    const body = [{ id: 'v', eventType: SUBSCRIPTION_VALIDATION_EVENT, data: { validationCode: 'abc' } }];

    expect(parseEventGridDelivery({}, JSON.stringify(body))).toMatchObject({ kind: 'validation' });
  });

  it('ignores a subscription deletion notice', () => {
    expect(parseEventGridDelivery({ eventType: 'SubscriptionDeletion' }, '[]')).toMatchObject({ kind: 'ignored' });
  });

  it.each([
    ['a body that is not JSON', {}, '[{'],
    ['an Event Grid delivery that is not an array', { eventType: 'Notification' }, JSON.stringify(egEvent)],
    ['a CloudEvents batch that is not an array', { contentType: 'application/cloudevents-batch+json' }, JSON.stringify(ce)],
    ['a batch entry without specversion', { contentType: 'application/cloudevents-batch+json' }, JSON.stringify([ce, egEvent])],
    ['a validation event without a code', { eventType: 'SubscriptionValidation' }, JSON.stringify([{ eventType: SUBSCRIPTION_VALIDATION_EVENT, data: {} }])],
    ['an unknown aeg-event-type', { eventType: 'Surprise' }, JSON.stringify([egEvent])],
    ['an array entry that is not an object', { eventType: 'Notification' }, '[1]'],
  ])('rejects %s with 400', (_, headers, body) => {
    expect(parseEventGridDelivery(headers, body)).toMatchObject({ kind: 'rejected', status: 400 });
  });
});
