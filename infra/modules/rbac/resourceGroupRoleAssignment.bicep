// One role assignment on a resource group (deploy this module at that resource group): used for the SQL rotation role
// on each resource group that holds target servers.

@description('Principal (object) id receiving the role.')
param principalId string

@description('Full resource id of the role definition.')
param roleDefinitionId string

@description('Why the assignment exists (shown in the portal).')
param assignmentDescription string

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, roleDefinitionId)
  properties: {
    roleDefinitionId: roleDefinitionId
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: assignmentDescription
  }
}

@description('Resource id of the assignment.')
output ID string = assignment.id
