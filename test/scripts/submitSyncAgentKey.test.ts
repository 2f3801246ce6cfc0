/**
 * Reads scripts/onprem/Submit-SyncAgentKey.ps1. There is no PowerShell here and the script has never run on Windows
 * in this project: these tests hold its shape (the pure logic in one region, the documented agent syntax, what may
 * and may not reach a log), not its behaviour.
 */
import { describe, expect, it } from 'vitest';
import { readRepoFile } from '../infra/bicepParser.js';

const SCRIPT = readRepoFile('scripts/onprem/Submit-SyncAgentKey.ps1');

function region(name: string): string {
  const start = SCRIPT.indexOf(`#region ${name}`);
  if (start < 0) throw new Error(`no region ${name}`);
  const end = SCRIPT.indexOf('#endregion', start);
  return SCRIPT.slice(start, end);
}

/** `function Name(` or `function Name {` declarations in a piece of script. */
function functionsIn(text: string): string[] {
  return [...text.matchAll(/^function ([A-Za-z]+-[A-Za-z]+)\b/gm)].map((m) => m[1]!);
}

/** The body of one function (up to the next top-level function or region marker). */
function body(name: string): string {
  const start = SCRIPT.search(new RegExp(`^function ${name}\\b`, 'm'));
  if (start < 0) throw new Error(`no function ${name}`);
  const rest = SCRIPT.slice(start + 1);
  const next = rest.search(/^(function |#region|#endregion)/m);
  return SCRIPT.slice(start, start + 1 + (next < 0 ? rest.length : next));
}

describe('Submit-SyncAgentKey.ps1: the pure logic, in one place', () => {
  const pure = region('Pure logic, reviewable');

  it('gathers version comparison, state file, argument validation and the agent command lines', () => {
    expect(functionsIn(pure).sort()).toEqual(
      [
        'Add-SubmittedVersion',
        'ConvertTo-Argument',
        'Format-RunMessage',
        'Get-DefaultTaskName',
        'Get-ImdsTokenUri',
        'Get-JsonProperty',
        'Get-KeyVaultResource',
        'Get-PingArguments',
        'Get-RunDecision',
        'Get-StatePath',
        'Get-SubmitKeyArguments',
        'Get-TaskArguments',
        'Get-TaskUserKind',
        'Get-VaultUrl',
        'Hide-Values',
        'New-SubmissionState',
        'Read-SubmissionState',
        'Set-PingResult',
        'Test-InstallRequest',
        'Test-SameVersion',
        'Test-SecretVersion',
        'Write-SubmissionState',
      ].sort(),
    );
  });

  it('uses no Windows-only cmdlet, no network and no process', () => {
    for (const edge of [
      'ScheduledTask',
      'EventLog',
      'Invoke-RestMethod',
      'Invoke-WebRequest',
      'Get-AzKeyVaultSecret',
      'Diagnostics.Process',
      'Start-Process',
      'Write-Host',
    ]) {
      expect(pure, edge).not.toContain(edge);
    }
  });

  it('keeps every such function out of the other regions', () => {
    const outside = SCRIPT.slice(0, SCRIPT.indexOf('#region Pure logic')) + SCRIPT.slice(SCRIPT.indexOf('#endregion') + 1);
    for (const name of functionsIn(pure)) expect(outside).not.toMatch(new RegExp(`^function ${name}\\b`, 'm'));
    // Nothing outside the region reads or writes the state file directly.
    expect(outside).not.toMatch(/\.state\.json|\.version['"]/);
  });

  it('decides Submit, PingOnly, AlreadySeen or Nothing, and never resubmits a remembered version without -Force', () => {
    const decision = body('Get-RunDecision');
    expect(decision).toContain("if ($Force) { return 'Submit' }");
    expect(decision).toMatch(/Test-SameVersion \$State\.LastVersion \$NewestVersion[\s\S]*return 'Nothing'[\s\S]*return 'PingOnly'/);
    expect(decision).toMatch(/foreach \(\$v in \$State\.Versions\) \{ if \(Test-SameVersion \$v \$NewestVersion\) \{ return 'AlreadySeen' \} \}/);
    expect(decision.trim().split('\n').at(-2)!.trim()).toBe("return 'Submit'");
    // A version id is 32 hex characters, compared without regard to case.
    expect(body('Test-SecretVersion')).toContain("'^[0-9a-fA-F]{32}$'");
    expect(body('Test-SameVersion')).toContain('OrdinalIgnoreCase');
  });

  it('writes the state through a temporary file and a rename, and refuses a state file that is not its own', () => {
    expect(body('Write-SubmissionState')).toMatch(/Set-Content -LiteralPath \$temp[\s\S]*Move-Item -LiteralPath \$temp -Destination \$path -Force/);
    expect(body('Read-SubmissionState')).toContain('is not a state file of this script for secret');
    // The state holds version ids and times only.
    expect(body('Write-SubmissionState')).not.toMatch(/\$secret|\$password|\$Key\b|\$Credential/i);
  });
});

describe('Submit-SyncAgentKey.ps1: parameters', () => {
  it('takes -ClientId as a GUID and sends it to IMDS as client_id', () => {
    expect(SCRIPT).toMatch(/\[ValidatePattern\('\^\[0-9a-fA-F\]\{8\}-\[0-9a-fA-F\]\{4\}-\[0-9a-fA-F\]\{4\}-\[0-9a-fA-F\]\{4\}-\[0-9a-fA-F\]\{12\}\$'\)\]\[string\]\$ClientId/);
    const uri = body('Get-ImdsTokenUri');
    expect(uri).toContain("'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource='");
    expect(uri).toContain("$uri += '&client_id=' + [uri]::EscapeDataString($ClientId)");
    expect(body('Get-ImdsToken')).toContain('Get-ImdsTokenUri $KeyVaultResource $ClientId');
  });

  it('installs a task every 5 minutes by default (1 to 1440) and removes it with -Uninstall', () => {
    expect(SCRIPT).toContain("[Parameter(Mandatory = $true, ParameterSetName = 'Install')][switch]$Install");
    expect(SCRIPT).toContain("[Parameter(ParameterSetName = 'Install')][ValidateRange(1, 1440)][int]$IntervalMinutes = 5");
    expect(SCRIPT).toContain("[Parameter(Mandatory = $true, ParameterSetName = 'Uninstall')][switch]$Uninstall");
    const install = body('Install-SubmitTask');
    expect(install).toContain('New-ScheduledTaskTrigger -Once -At (Get-Date).AddMinutes(1) -RepetitionInterval (New-TimeSpan -Minutes $IntervalMinutes)');
    expect(install).toContain('-MultipleInstances IgnoreNew');
    expect(install).toContain('[System.Diagnostics.EventLog]::CreateEventSource($EventSource, \'Application\')');
    expect(body('Uninstall-SubmitTask')).toContain('Unregister-ScheduledTask -TaskName $name -TaskPath $TaskPath -Confirm:$false');
  });

  it('installs only the unattended form (password from Key Vault), never an interactive credential', () => {
    // The Install parameter set has UserName and PasswordSecretName, and no Credential.
    expect(SCRIPT).toMatch(/\[Parameter\(Mandatory = \$true, ParameterSetName = 'Install'\)\]\s+\[ValidatePattern\('\^\[0-9a-zA-Z-\]\{1,127\}\$'\)\]\[string\]\$PasswordSecretName/);
    expect(SCRIPT).toContain("[Parameter(Mandatory = $true, ParameterSetName = 'Credential')][pscredential]$Credential");
    const args = body('Get-TaskArguments');
    expect(args).toContain("'-NoProfile -NonInteractive -ExecutionPolicy Bypass -File '");
    expect(args).not.toMatch(/Credential|Password'/);
  });
});

describe('Submit-SyncAgentKey.ps1: the agent tool and the event log', () => {
  it('uses the syntax Microsoft documents for SqlDataSyncAgentCommand.exe', () => {
    const submit = body('Get-SubmitKeyArguments');
    expect(submit).toContain("'-action submitagentkey -agentkey ' + (ConvertTo-Argument $Key)");
    expect(submit).toContain("' -username ' + (ConvertTo-Argument $User) + ' -password ' + (ConvertTo-Argument $Password)");
    expect(body('Get-PingArguments')).toContain("'-action pingsyncservice'");
  });

  it('pings only after a submission the agent accepted, and records the version before pinging', () => {
    const run = region('Run');
    const submitAt = run.indexOf('Invoke-AgentTool (Get-SubmitKeyArguments');
    const recordAt = run.indexOf('Add-SubmittedVersion $state $version');
    const pingAt = run.indexOf('Invoke-AgentTool (Get-PingArguments) @($secret.Value, $password)');
    expect(submitAt).toBeGreaterThan(0);
    expect(run.slice(submitAt, recordAt)).toContain('if ($submit.ExitCode -ne 0) {');
    expect(recordAt).toBeGreaterThan(submitAt);
    expect(pingAt).toBeGreaterThan(recordAt);
  });

  it('writes events with identifiers only: never the key or the password', () => {
    for (const line of SCRIPT.split('\n').filter((l) => /Write-RunEvent|Write-Host|Write-Warning|Write-Error|Format-RunMessage/.test(l))) {
      expect(line).not.toMatch(/\$secret\.Value|\$password\b|\$Credential/);
    }
    // Tool output reaches the console and the event log only through Hide-Values with the key and password.
    expect(body('Invoke-AgentTool')).toContain('$masked = Hide-Values $line $Mask');
    expect(region('Run')).toContain('@($secret.Value, $password)');
  });

  it('says plainly that it was never run on Windows here', () => {
    expect(SCRIPT).toContain('This script has not been run on Windows by the project');
  });
});
