import { describe, expect, it } from 'vitest';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { receivedMessageMetadata } from '../../../src/local/host/serviceBusPump.js';

describe('Function: receivedMessageMetadata', () => {
  it('gives the trigger the metadata the Functions Service Bus extension provides', () => {
    const enqueued = new Date('2025-08-01T10:00:00Z');
    const message = {
      body: { kind: 'serverKey' },
      messageId: 'abc',
      deliveryCount: 2,
      enqueuedTimeUtc: enqueued,
      sequenceNumber: { toString: () => '42' },
      correlationId: 'event-1',
      subject: 'serverKey',
      contentType: 'application/json',
      lockToken: 'lock-1',
      applicationProperties: { kind: 'serverKey', attempt: 2 },
    } as unknown as ServiceBusReceivedMessage;

    expect(receivedMessageMetadata(message)).toEqual({
      messageId: 'abc',
      deliveryCount: 2,
      enqueuedTimeUtc: enqueued.toISOString(),
      sequenceNumber: '42',
      correlationId: 'event-1',
      subject: 'serverKey',
      label: 'serverKey',
      contentType: 'application/json',
      lockToken: 'lock-1',
      applicationProperties: { kind: 'serverKey', attempt: 2 },
      userProperties: { kind: 'serverKey', attempt: 2 },
    });
  });
});
