// Shared user-defined types, imported by main.bicep and the modules.

@export()
@description('An existing Key Vault, addressed by name and resource group (in the deployment subscription).')
type ExistingVault = {
  @description('Vault name.')
  name: string

  @description('Resource group that holds the vault.')
  resourceGroupName: string
}

@export()
@description('Settings of the Service Bus work queue of the backoff design.')
type WorkQueueSettings = {
  @description('ISO 8601 duration of the duplicate-detection window (20 s to 7 days).')
  duplicateDetectionWindow: string

  @description('Deliveries before the broker dead-letters a message (the app schedules its own backoff; this only catches crashes).')
  @minValue(1)
  @maxValue(2000)
  maxDeliveryCount: int

  @description('Peek-lock duration, at most PT5M; the host renews the lock up to maxAutoLockRenewalDuration in host.json.')
  lockDuration: string

  @description('Time to live of a message; expired messages are dead-lettered.')
  messageTimeToLive: string
}

@export()
@description('Flex Consumption scale settings.')
type ScaleSettings = {
  @description('Upper bound of instances (Flex Consumption: 40 to 1000).')
  @minValue(40)
  @maxValue(1000)
  maximumInstanceCount: int

  @description('Memory per instance in MB.')
  instanceMemoryMB: 512 | 2048 | 4096
}

@export()
@description('A role assignment made by a module: what it grants, where, and to whom (for the RBAC table and the outputs).')
type RoleGrant = {
  @description('Built-in or custom role definition GUID.')
  roleDefinitionGuid: string

  @description('Human-readable role name.')
  roleName: string
}

@export()
@description('Keys of a Managed HSM that protect SQL servers. Managed HSM publishes no Event Grid events: these keys are converged by the reconcileKeys timer, and the postdeploy hook grants the app identity a local RBAC role on each key.')
type ManagedHsmKeys = {
  @description('Managed HSM name (as in https://{name}.managedhsm.azure.net); empty: no HSM.')
  name: string

  @description('Names of the HSM keys the app reads (each gets its own role assignment at scope /keys/{name}).')
  keyNames: string[]
}
