// One role assignment on one existing Key Vault (deploy this module at the vault's resource group).

@description('Name of the existing Key Vault.')
param vaultName string

@description('Principal (object) id receiving the role.')
param principalId string

@description('Full resource id of the role definition (built-in or custom).')
param roleDefinitionId string

@description('Why the assignment exists (shown in the portal).')
param assignmentDescription string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roleDefinitionId)
  scope: vault
  properties: {
    roleDefinitionId: roleDefinitionId
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: assignmentDescription
  }
}

@description('Resource id of the assignment.')
output ID string = assignment.id
