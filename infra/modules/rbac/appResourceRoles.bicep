// Roles of the app identity on the resources this deployment creates, each at the narrowest scope the resource allows.

@description('Principal (object) id of the app identity.')
param principalId string

@description('Name of the storage account (host storage + deployment container).')
param storageAccountName string

@description('Name of the Service Bus namespace.')
param serviceBusNamespaceName string

@description('Name of the work queue.')
param workQueueName string

@description('Name of the failure queue.')
param failureQueueName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Grant Azure Service Bus Data Owner on the work queue so the scale controller can read its message count (target-based scaling). False: the scaler falls back to peeking one message, and scales out on its age only.')
param grantScaleMetricsRead bool = true

// Built-in role definition GUIDs (docs: Azure built-in roles).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' existing = {
  name: serviceBusNamespaceName

  resource work 'queues' existing = {
    name: workQueueName
  }

  resource failure 'queues' existing = {
    name: failureQueueName
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Host storage (blob leases of the timer singleton, host secrets/state) and the Flex Consumption deployment package:
// the Functions host documents Storage Blob Data Owner for identity-based AzureWebJobsStorage. No queue or table role:
// no trigger here uses storage queues or tables.
resource storageBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Functions host storage and Flex Consumption deployment package (identity-based AzureWebJobsStorage).'
  }
}

// Work queue: the trigger receives; the event function and the worker send (fan-out, scheduled retries).
resource workQueueReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace::work.id, principalId, roles.serviceBusDataReceiver)
  scope: namespace::work
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'rotationWorker Service Bus trigger receives work items.'
  }
}

resource workQueueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace::work.id, principalId, roles.serviceBusDataSender)
  scope: namespace::work
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'keyNewVersionCreated fans out and rotationWorker schedules retries on the work queue.'
  }
}

// Target-based scaling on Flex Consumption: the scale controller runs the Service Bus extension's scaler with the app's
// connection (ServiceBusConnection__*, this identity). The scaler reads the queue's runtime properties (active message
// count) with the Service Bus administration client (GetQueueRuntimePropertiesAsync, GetQueueAsync), which needs the
// Manage right; Data Sender and Data Receiver do not carry it, and the only built-in role that does is Azure Service
// Bus Data Owner. Hence Data Owner, on the work queue alone (not the namespace). Without it the scaler logs
// "does not have 'Manage Claim'" and falls back to peeking the first message: the app still wakes, but scales on the
// age of one message instead of the backlog. See docs/deploy.md.
resource workQueueScaleMetricsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantScaleMetricsRead) {
  name: guid(namespace::work.id, principalId, roles.serviceBusDataOwner)
  scope: namespace::work
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Scale controller reads the work queue message count (Manage right) for target-based scaling.'
  }
}

// Failure queue: send only; operators read it.
resource failureQueueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace::failure.id, principalId, roles.serviceBusDataSender)
  scope: namespace::failure
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'rotationWorker parks work items it gives up on in the failure queue.'
  }
}

// Application Insights with local auth disabled accepts telemetry only from this role.
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Entra-authenticated telemetry to Application Insights (local auth disabled).'
  }
}
