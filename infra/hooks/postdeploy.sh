#!/bin/sh
# azd postdeploy hook (POSIX; infra/hooks/postdeploy.ps1 is the same for Windows). Runs after the code is deployed:
#  1. deploys infra/eventSubscription.bicep (the Event Grid subscription of keyNewVersionCreated), into the system
#     topic's resource group, with its parameters in a file: no JSON travels through a shell's quoting;
#  2. when a Managed HSM is configured (TDE_MANAGED_HSM_NAME), assigns the HSM's local RBAC role
#     (MANAGED_HSM_ROLE_ID, default Managed HSM Crypto Auditor) to the app identity on each key, at /keys/{key}.
#     HSM data access is the HSM's own RBAC, which Bicep cannot assign.
# Idempotent: the deployment has a fixed name and each HSM assignment a name derived from (hsm, scope, principal,
# role), so a re-run updates in place. Re-run alone with `azd hooks run postdeploy`.
# Reads the azd environment (main.bicep outputs). Needs the Azure CLI, signed in (`az login`).
set -eu
# No pathname expansion: names are split on ',' and blanks below, never globbed.
set -f

fail() {
  echo "postdeploy: $*" >&2
  exit 1
}

# An Azure resource or deployment name: letters, digits, '.', '_', '-', '(' and ')'; never a quote or a space.
require_name() {
  case "$2" in
    '' | *[!A-Za-z0-9._\(\)-]*) fail "$1 is empty or holds a character outside [A-Za-z0-9._()-]: '$2'" ;;
  esac
}

# A Key Vault / Managed HSM key name: 1-127 of [0-9A-Za-z-].
require_key_name() {
  case "$2" in
    '' | *[!0-9A-Za-z-]*) fail "$1 holds '$2', which is not a key name ([0-9A-Za-z-], 1-127 characters)" ;;
  esac
  [ "${#2}" -le 127 ] || fail "$1 holds a key name longer than 127 characters"
}

# TDE_KEY_NAMES_JSON is main.bicep's string(tdeKeyNames): a JSON array of key names. Checked element by element,
# then written to the parameters file as it is.
check_key_names_json() {
  # Blanks go only around brackets and commas; one left inside an element makes it an invalid key name below.
  body=$(printf '%s' "$1" | tr '\t\r\n' '   ' | sed -e 's/^ *//' -e 's/ *$//' -e 's/ *\([],[]\) */\1/g')
  case "$body" in
    '[]') return 0 ;;
    '['*']') ;;
    *) fail "TDE_KEY_NAMES_JSON is not a JSON array: $1" ;;
  esac
  inner=${body#\[}
  inner=${inner%\]}
  old_ifs=$IFS
  IFS=,
  for item in $inner; do
    case "$item" in
      '"'*'"') ;;
      *) IFS=$old_ifs; fail "TDE_KEY_NAMES_JSON holds a non-string element: $item" ;;
    esac
    name=${item#\"}
    name=${name%\"}
    require_key_name TDE_KEY_NAMES_JSON "$name"
  done
  IFS=$old_ifs
}

# A GUID-shaped assignment name from the SHA-256 of its identity, so a re-run addresses the same assignment.
assignment_name() {
  if command -v sha256sum >/dev/null 2>&1; then
    hex=$(printf '%s' "$1" | sha256sum | cut -c1-32)
  else
    hex=$(printf '%s' "$1" | shasum -a 256 | cut -c1-32)
  fi
  printf '%s-%s-%s-%s-%s\n' "$(echo "$hex" | cut -c1-8)" "$(echo "$hex" | cut -c9-12)" \
    "$(echo "$hex" | cut -c13-16)" "$(echo "$hex" | cut -c17-20)" "$(echo "$hex" | cut -c21-32)"
}

env_name=${AZURE_ENV_NAME:-}
app_rg=${AZURE_RESOURCE_GROUP:-}
# Older environments (provisioned before the existing-topic option) have no topic resource group output.
topic_rg=${EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP:-$app_rg}
topic=${EVENT_GRID_SYSTEM_TOPIC_NAME:-}
app=${AZURE_FUNCTION_APP_NAME:-}
storage=${AZURE_STORAGE_ACCOUNT_NAME:-}
container=${EVENT_GRID_DEAD_LETTER_CONTAINER:-}
key_names_json=${TDE_KEY_NAMES_JSON:-[]}

require_name AZURE_ENV_NAME "$env_name"
require_name AZURE_RESOURCE_GROUP "$app_rg"
require_name EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP "$topic_rg"
require_name EVENT_GRID_SYSTEM_TOPIC_NAME "$topic"
require_name AZURE_FUNCTION_APP_NAME "$app"
require_name AZURE_STORAGE_ACCOUNT_NAME "$storage"
require_name EVENT_GRID_DEAD_LETTER_CONTAINER "$container"
check_key_names_json "$key_names_json"

# Under .azure/{env}/ (azd's own, git-ignored folder): a relative path without spaces.
params_dir=".azure/$env_name"
mkdir -p "$params_dir"
params_file="$params_dir/eventSubscription.parameters.json"
cat >"$params_file" <<JSON
{
  "\$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "systemTopicName": { "value": "$topic" },
    "functionAppName": { "value": "$app" },
    "appResourceGroupName": { "value": "$app_rg" },
    "storageAccountName": { "value": "$storage" },
    "deadLetterContainerName": { "value": "$container" },
    "keyNames": { "value": $key_names_json }
  }
}
JSON

echo "postdeploy: subscribing keyNewVersionCreated to system topic $topic_rg/$topic"
az deployment group create \
  --name "event-subscription-$env_name" \
  --resource-group "$topic_rg" \
  --template-file infra/eventSubscription.bicep \
  --parameters "@$params_file" \
  --output none

hsm=${MANAGED_HSM_NAME:-}
if [ -n "$hsm" ]; then
  require_name MANAGED_HSM_NAME "$hsm"
  principal=${AZURE_IDENTITY_PRINCIPAL_ID:-}
  require_name AZURE_IDENTITY_PRINCIPAL_ID "$principal"
  role=${MANAGED_HSM_ROLE_ID:-2c18b078-7c48-4d3a-af88-5a3a1b3f82b3}
  require_name MANAGED_HSM_ROLE_ID "$role"
  hsm_keys=${MANAGED_HSM_KEY_NAMES:-}
  [ -n "$hsm_keys" ] || fail "MANAGED_HSM_NAME is $hsm but MANAGED_HSM_KEY_NAMES is empty: name the HSM keys (TDE_MANAGED_HSM_KEY_NAMES)"
  for key in $hsm_keys; do
    require_key_name MANAGED_HSM_KEY_NAMES "$key"
    scope="/keys/$key"
    name=$(assignment_name "$hsm|$scope|$principal|$role")
    echo "postdeploy: Managed HSM $hsm: role $role for the app identity at $scope"
    az keyvault role assignment create \
      --hsm-name "$hsm" \
      --name "$name" \
      --role "$role" \
      --assignee-object-id "$principal" \
      --assignee-principal-type ServicePrincipal \
      --scope "$scope" \
      --output none
  done
fi
