import { WorkQueueSettings } from 'types.bicep'

// Service Bus namespace (Standard: duplicate detection, sessions and scheduled messages) with local (SAS) auth disabled, the
// work queue of the backoff design and the failure queue where the app parks work items it gives up on.

@description('Name of the Service Bus namespace.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the resource.')
param tags object

@description('Name of the work queue (app setting ROTATION_QUEUE_NAME).')
param workQueueName string

@description('Name of the failure queue (app setting ROTATION_FAILURE_QUEUE_NAME).')
param failureQueueName string

@description('Settings of the work queue.')
param workQueue WorkQueueSettings

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }

  // Event Grid delivers at least once and the app re-schedules retries as new messages: duplicate detection on the
  // message id (derived from event id + target + attempt) drops the copies.
  // Sessions: every work item carries SessionId = the lowercased target ARM id, so one server is converged by one
  // worker at a time across all instances (the trigger sets isSessionsEnabled). Service Bus cannot turn sessions on
  // for an existing queue: an older deployment must drain and delete the queue (or use a new name) first.
  resource work 'queues' = {
    name: workQueueName
    properties: {
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: workQueue.duplicateDetectionWindow
      maxDeliveryCount: workQueue.maxDeliveryCount
      lockDuration: workQueue.lockDuration
      defaultMessageTimeToLive: workQueue.messageTimeToLive
      deadLetteringOnMessageExpiration: true
      enablePartitioning: false
      requiresSession: true
    }
  }

  // Work items the app gives up on, with reason/description application properties (the Node trigger cannot
  // dead-letter a message itself). Operators read this queue; nothing consumes it automatically. Duplicate
  // detection (the failure record's messageId is derived from the item and its attempt): a redelivered work item
  // that dead-letters again does not leave a second record.
  resource failure 'queues' = {
    name: failureQueueName
    properties: {
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: workQueue.duplicateDetectionWindow
      maxDeliveryCount: 10
      lockDuration: 'PT1M'
      defaultMessageTimeToLive: 'P14D'
      deadLetteringOnMessageExpiration: true
      enablePartitioning: false
      requiresSession: false
    }
  }
}

@description('Name of the namespace.')
output NAME string = namespace.name

@description('Fully qualified namespace (ServiceBusConnection__fullyQualifiedNamespace).')
output FULLY_QUALIFIED_NAMESPACE string = split(split(namespace.properties.serviceBusEndpoint, '/')[2], ':')[0]

@description('Name of the work queue.')
output WORK_QUEUE_NAME string = namespace::work.name

@description('Name of the failure queue.')
output FAILURE_QUEUE_NAME string = namespace::failure.name
