import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import { ConfigError, type ConfigProblem } from '../../src/domain/errors.js';
import { DEFAULT_RETRY_POLICY } from '../../src/domain/nextDelayMs.js';

const SUB = '00000000-1111-2222-3333-444444444444';
const RG = `/subscriptions/${SUB}/resourceGroups/rg`;
const server = (name: string): string => `${RG}/providers/Microsoft.Sql/servers/${name}`;
const KEY = 'https://contoso-tde.vault.azure.net/keys/tde';
const HSM_KEY = 'https://contoso-hsm.managedhsm.azure.net/keys/Tde2';

const FULL = {
  keys: {
    [KEY]: {
      servers: [
        { id: server('sql-a'), switchProtector: true },
        { id: server('sql-b'), switchProtector: true, geoPrimary: server('sql-a') },
        { id: server('sql-c') },
      ],
      discovery: { scopes: [`/subscriptions/${SUB}`], switchProtector: false },
    },
    [HSM_KEY]: { discovery: { scopes: [RG] } },
  },
  syncAgents: {
    vaultUrl: 'https://contoso-sync.vault.azure.net',
    agents: [
      { id: `${server('sql-a')}/syncAgents/agent1` },
      { id: `${server('sql-a')}/syncAgents/agent_2`, vaultUrl: 'https://other-sync.vault.azure.net', secretName: 'agent-two' },
    ],
    discovery: { servers: [server('sql-c')], scopes: [RG] },
    minIntervalHours: 12,
    secretExpiryDays: 90,
  },
  retry: { baseSeconds: 1, capSeconds: 120, maxAttempts: 6, orderDelaySeconds: 20, orderMaxAttempts: 30 },
  fanOut: { inlineLimit: 5, concurrency: 4 },
  notifications: { webhookUrl: 'https://hooks.example.com/T000/secret-token', format: 'teams' },
};

function env(config: unknown, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { ROTATION_CONFIG: JSON.stringify(config), ...extra };
}

function problems(e: Record<string, string | undefined>, readFile?: (path: string) => string): ConfigProblem[] {
  try {
    loadConfig(e, readFile);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('InvalidConfig');
    return [...(err as ConfigError).problems];
  }
  throw new Error('loadConfig did not throw');
}

/** Asserts one problem at exactly `path` whose message matches. */
function expectProblem(list: ConfigProblem[], path: string, message: RegExp): void {
  expect(list.filter((p) => p.path === path).map((p) => p.message), `problems: ${JSON.stringify(list)}`).toEqual(
    expect.arrayContaining([expect.stringMatching(message)]),
  );
}

describe('Function: loadConfig', () => {
  describe('a valid full configuration', () => {
    const config = loadConfig(
      env(FULL, {
        ServiceBusConnection__fullyQualifiedNamespace: 'Contoso-Rotation.servicebus.windows.net',
        ROTATION_QUEUE_NAME: 'rotation',
        ROTATION_FAILURE_QUEUE_NAME: 'rotation-failures',
      }),
    );

    it('keys the map by lowercase versionless key id', () => {
      expect([...config.keys.keys()]).toEqual([KEY, HSM_KEY.toLowerCase()]);
      expect(config.keys.get(HSM_KEY.toLowerCase())?.key.name).toBe('Tde2');
    });

    it('normalises servers and applies switchProtector: false by default', () => {
      expect(config.keys.get(KEY)?.servers).toEqual([
        { id: server('sql-a'), switchProtector: true },
        { id: server('sql-b'), switchProtector: true, geoPrimary: server('sql-a') },
        { id: server('sql-c'), switchProtector: false },
      ]);
      expect(config.keys.get(KEY)?.discovery).toEqual({ scopes: [`/subscriptions/${SUB}`], switchProtector: false });
      expect(config.keys.get(HSM_KEY.toLowerCase())?.servers).toEqual([]);
    });

    it('resolves sync agents with default vault and derived secret names', () => {
      expect(config.syncAgents).toEqual({
        agents: [
          { id: `${server('sql-a')}/syncAgents/agent1`, vaultUrl: 'https://contoso-sync.vault.azure.net', secretName: 'syncagent-sql-a-agent1' },
          { id: `${server('sql-a')}/syncAgents/agent_2`, vaultUrl: 'https://other-sync.vault.azure.net', secretName: 'agent-two' },
        ],
        vaultUrl: 'https://contoso-sync.vault.azure.net',
        discovery: { servers: [server('sql-c')], scopes: [RG] },
        minIntervalMs: 12 * 3_600_000,
        secretExpiryMs: 90 * 86_400_000,
      });
    });

    it('converts retry seconds to milliseconds', () => {
      expect(config.retry).toEqual({ baseMs: 1_000, capMs: 120_000, maxAttempts: 6, orderDelayMs: 20_000, orderMaxAttempts: 30 });
      expect(config.fanOut).toEqual({ inlineLimit: 5, concurrency: 4 });
      expect(config.notifications).toEqual({ webhookUrl: 'https://hooks.example.com/T000/secret-token', format: 'teams' });
    });

    it('reads the Service Bus namespace and queue names', () => {
      expect(config.serviceBus).toEqual({
        fullyQualifiedNamespace: 'contoso-rotation.servicebus.windows.net',
        queueName: 'rotation',
        failureQueueName: 'rotation-failures',
      });
    });

    it('is deeply frozen, the keys map included', () => {
      expect(Object.isFrozen(config)).toBe(true);
      expect(Object.isFrozen(config.syncAgents.agents[0])).toBe(true);
      expect(Object.isFrozen(config.keys.get(KEY)?.servers)).toBe(true);
      expect(Object.isFrozen(config.retry)).toBe(true);
      expect(() => (config.keys as Map<string, unknown>).set('x', {})).toThrow(TypeError);
      expect(() => (config.keys as Map<string, unknown>).delete(KEY)).toThrow(TypeError);
      expect(() => (config.keys as Map<string, unknown>).clear()).toThrow(TypeError);
      expect(config.keys.size).toBe(2);
    });
  });

  it('applies defaults to a minimal configuration', () => {
    const config = loadConfig(env({ keys: { [KEY]: { servers: [{ id: server('sql-a') }] } } }));
    expect(config.retry).toEqual(DEFAULT_RETRY_POLICY);
    expect(config.fanOut).toEqual({ inlineLimit: 10, concurrency: 8 });
    expect(config.syncAgents).toEqual({ agents: [], minIntervalMs: 24 * 3_600_000 });
    expect(config).not.toHaveProperty('notifications');
    expect(config).not.toHaveProperty('serviceBus');
  });

  it('lists every problem of a badly broken configuration in one error, each with its path', () => {
    const broken = {
      keys: {
        'https://contoso-tde.vault.azure.net/keys/tde/0123456789abcdef0123456789abcdef': { servers: [] },
        'https://evil.example.com/keys/tde': { servers: [] },
        [KEY]: {
          servers: [
            { id: server('sql-a'), switchProtector: 'yes' },
            { id: server('sql-b'), geoPrimary: server('sql-x') },
            { id: server('sql-a') },
            { id: '/subscriptions/nope/resourceGroups/rg/providers/Microsoft.Sql/servers/s' },
          ],
          discovry: {},
        },
      },
      syncAgents: { agents: [{ id: 'not-an-id', vaultUrl: 'http://x.vault.azure.net' }] },
      retry: { baseSeconds: 10, capSeconds: 5, maxAttempts: 0 },
      fanOut: { concurrency: 0 },
      notifications: { webhookUrl: 'http://hooks.example.com/secret-token', format: 'email' },
      extra: true,
    };
    let error: ConfigError | undefined;
    try {
      loadConfig(env(broken, { ServiceBusConnection: 'Endpoint=sb://x/;SharedAccessKey=supersecret' }));
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const list = [...error!.problems];
    const k = `ROTATION_CONFIG.keys[${JSON.stringify(KEY)}]`;
    expectProblem(list, 'ROTATION_CONFIG.keys["https://contoso-tde.vault.azure.net/keys/tde/0123456789abcdef0123456789abcdef"]', /versionless/);
    expectProblem(list, 'ROTATION_CONFIG.keys["https://evil.example.com/keys/tde"]', /not under an accepted Key Vault/);
    expectProblem(list, `${k}.servers[0].switchProtector`, /true or false/);
    expectProblem(list, `${k}.servers[1].geoPrimary`, /not in this key's servers list/);
    expectProblem(list, `${k}.servers[2].id`, /duplicate server: same as .*servers\[0\]\.id/);
    expectProblem(list, `${k}.servers[3].id`, /not a GUID/);
    expectProblem(list, `${k}.discovry`, /unknown property \(did you mean "discovery"\?\)/);
    expectProblem(list, 'ROTATION_CONFIG.syncAgents.agents[0].id', /sync agent id "not-an-id"/);
    expectProblem(list, 'ROTATION_CONFIG.syncAgents.agents[0].vaultUrl', /scheme must be https/);
    expectProblem(list, 'ROTATION_CONFIG.retry.capSeconds', /must be >= baseSeconds/);
    expectProblem(list, 'ROTATION_CONFIG.retry.maxAttempts', /integer >= 1/);
    expectProblem(list, 'ROTATION_CONFIG.fanOut.concurrency', /integer >= 1/);
    expectProblem(list, 'ROTATION_CONFIG.notifications.webhookUrl', /must be https/);
    expectProblem(list, 'ROTATION_CONFIG.notifications.format', /generic, teams, slack/);
    expectProblem(list, 'ROTATION_CONFIG.extra', /unknown property/);
    expectProblem(list, 'ServiceBusConnection', /managed identity/);
    expect(list.length).toBeGreaterThanOrEqual(16);
    // One message lists them all, and never echoes a secret.
    for (const p of list) expect(error!.message).toContain(p.path);
    expect(error!.message).not.toContain('supersecret');
    expect(error!.message).not.toContain('secret-token');
  });

  describe('ROTATION_CONFIG source', () => {
    it('reads a JSON file when the setting is a path', () => {
      const read: string[] = [];
      const config = loadConfig({ ROTATION_CONFIG: '/etc/rotation.json' }, (path) => {
        read.push(path);
        return JSON.stringify({ keys: { [KEY]: { servers: [{ id: server('sql-a'), switchProtector: true }] } } });
      });
      expect(read).toEqual(['/etc/rotation.json']);
      expect(config.keys.get(KEY)?.servers[0]?.switchProtector).toBe(true);
    });

    it('reads inline JSON with leading whitespace', () => {
      expect(loadConfig({ ROTATION_CONFIG: `  \n${JSON.stringify({ keys: {} })}` }).keys.size).toBe(0);
    });

    it('names ROTATION_CONFIG when it is missing', () => {
      expectProblem(problems({}), 'ROTATION_CONFIG', /is required/);
      expectProblem(problems({ ROTATION_CONFIG: '   ' }), 'ROTATION_CONFIG', /is required/);
    });

    it('reports an unreadable file with its error code, without echoing the value', () => {
      const list = problems({ ROTATION_CONFIG: 'missing.json' }, () => {
        throw Object.assign(new Error("ENOENT: no such file or directory, open 'missing.json'"), { code: 'ENOENT' });
      });
      expectProblem(list, 'ROTATION_CONFIG', /not inline JSON .* cannot be read as the path of a JSON file \(ENOENT\) \(value not shown, 12 characters\)/);
      expect(JSON.stringify(list)).not.toContain('missing.json');
    });

    it('reports invalid JSON inline and in a file, with a position but no snippet of the content', () => {
      expectProblem(problems({ ROTATION_CONFIG: '{ keys: ' }), 'ROTATION_CONFIG', /^inline JSON is not valid JSON/);
      expectProblem(problems({ ROTATION_CONFIG: 'c.json' }, () => 'nope'), 'ROTATION_CONFIG', /^the file it names is not valid JSON/);
      const list = problems({ ROTATION_CONFIG: '{"notifications": {"webhookUrl": "https://hooks.slack.com/services/T0/B0/tokenvalue1234"} x}' });
      expectProblem(list, 'ROTATION_CONFIG', /not valid JSON at line 1, column \d+ \(content not shown\)/);
      expect(JSON.stringify(list)).not.toContain('tokenvalue');
    });

    const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX';
    const QUOTED_SOURCE = JSON.stringify({ keys: {}, notifications: { webhookUrl: WEBHOOK, format: 'slack' } });

    it.each([
      ['single quotes', `'${QUOTED_SOURCE}'`],
      ['double quotes around raw JSON', `"${QUOTED_SOURCE}"`],
      ['a JSON string holding the JSON', JSON.stringify(QUOTED_SOURCE)],
      ['quotes and blanks', `  '  ${QUOTED_SOURCE}  '  `],
    ])('recognises quoted inline JSON (%s)', (_label, raw) => {
      // Prepare
      const read: string[] = [];

      // Act
      const config = loadConfig({ ROTATION_CONFIG: raw }, (path) => {
        read.push(path);
        throw new Error('not a file');
      });

      // Assess
      expect(read).toEqual([]);
      expect(config.notifications).toEqual({ webhookUrl: WEBHOOK, format: 'slack' });
    });

    it.each([
      ['a quote too many', `'${QUOTED_SOURCE}`],
      ['a prefix', `ROTATION_CONFIG=${QUOTED_SOURCE}`],
      ['mismatched quotes', `"${QUOTED_SOURCE}'`],
    ])('never echoes a value that is not inline JSON (%s), webhook token included', (_label, raw) => {
      const list = problems({ ROTATION_CONFIG: raw }, () => {
        throw Object.assign(new Error(`ENAMETOOLONG: name too long, open '${raw}'`), { code: 'ENAMETOOLONG' });
      });

      expectProblem(list, 'ROTATION_CONFIG', /value not shown/);
      const text = JSON.stringify(list);
      expect(text).not.toContain('XXXXsecretXXXX');
      expect(text).not.toContain('hooks.slack.com');
    });

    it('reports a root that is not an object', () => {
      expectProblem(problems({ ROTATION_CONFIG: 'c.json' }, () => '[]'), 'ROTATION_CONFIG', /must be an object, got an array/);
    });
  });

  describe('keys', () => {
    const keysProblems = (keys: unknown): ConfigProblem[] => problems(env({ keys }));
    const at = `ROTATION_CONFIG.keys[${JSON.stringify(KEY)}]`;

    it('refuses keys that is not an object', () => {
      expectProblem(keysProblems([KEY]), 'ROTATION_CONFIG.keys', /must be an object/);
    });

    it('refuses a secret URI', () => {
      expectProblem(keysProblems({ 'https://kv1.vault.azure.net/secrets/tde': { servers: [] } }), 'ROTATION_CONFIG.keys["https://kv1.vault.azure.net/secrets/tde"]', /secret id/);
    });

    it('refuses the same key spelled twice in different case', () => {
      const list = keysProblems({ [KEY]: { servers: [] }, [KEY.replace('contoso-tde', 'CONTOSO-TDE')]: { servers: [] } });
      expectProblem(list, `ROTATION_CONFIG.keys[${JSON.stringify(KEY.replace('contoso-tde', 'CONTOSO-TDE'))}]`, /duplicate key/);
    });

    it('refuses an entry with neither servers nor discovery', () => {
      expectProblem(keysProblems({ [KEY]: {} }), at, /needs "servers", "discovery" or both/);
    });

    it('refuses servers that is not an array, and entries that are not objects', () => {
      expectProblem(keysProblems({ [KEY]: { servers: server('a') } }), `${at}.servers`, /must be an array/);
      expectProblem(keysProblems({ [KEY]: { servers: [server('a')] } }), `${at}.servers[0]`, /must be an object/);
    });

    it('requires a server id', () => {
      expectProblem(keysProblems({ [KEY]: { servers: [{ switchProtector: true }] } }), `${at}.servers[0].id`, /is required/);
    });

    it('refuses an unknown server property', () => {
      expectProblem(keysProblems({ [KEY]: { servers: [{ id: server('a'), switchprotector: true }] } }), `${at}.servers[0].switchprotector`, /did you mean "switchProtector"/);
    });

    it('accepts managed instances and databases with their own key beside servers, each with its kind of geo primary', () => {
      const mi = (n: string) => `${RG}/providers/Microsoft.Sql/managedInstances/${n}`;
      const db = (s: string, n: string) => `${server(s)}/databases/${n}`;
      const config = loadConfig(
        env({
          keys: {
            [KEY]: {
              servers: [
                { id: server('sql-a'), switchProtector: true },
                { id: mi('MI-A'), switchProtector: true },
                { id: mi('mi-b'), switchProtector: true, geoPrimary: mi('mi-a') },
                { id: db('sql-a', 'Sales'), switchProtector: true },
                { id: db('sql-b', 'Sales'), geoPrimary: db('sql-a', 'Sales') },
              ],
            },
          },
        }),
      );
      expect(config.keys.get(KEY.toLowerCase())?.servers.map((s) => s.id)).toEqual([server('sql-a'), mi('mi-a'), mi('mi-b'), db('sql-a', 'Sales'), db('sql-b', 'Sales')]);
    });

    it('refuses a geo primary of another kind, and ids of resources that are no TDE target', () => {
      const mi = `${RG}/providers/Microsoft.Sql/managedInstances/mi-a`;
      const list = keysProblems({
        [KEY]: { servers: [{ id: server('sql-a') }, { id: mi, geoPrimary: server('sql-a') }, { id: `${server('sql-a')}/elasticPools/pool` }, { id: `${server('sql-a')}/databases/master` }] },
      });
      expectProblem(list, `${at}.servers[1].geoPrimary`, /names a server, but this target is a managed instance/);
      expectProblem(list, `${at}.servers[2].id`, /server id/);
      expectProblem(list, `${at}.servers[3].id`, /master/);
    });

    it('detects duplicate servers across casing', () => {
      const list = keysProblems({ [KEY]: { servers: [{ id: server('sql-a') }, { id: server('SQL-A').toUpperCase() }] } });
      expectProblem(list, `${at}.servers[1].id`, /duplicate server/);
    });

    it('refuses a geo secondary of a geo secondary', () => {
      const list = keysProblems({
        [KEY]: { servers: [{ id: server('a') }, { id: server('b'), geoPrimary: server('a') }, { id: server('c'), geoPrimary: server('b') }] },
      });
      expectProblem(list, `${at}.servers[2].geoPrimary`, /itself a geo secondary/);
      expect(list).toHaveLength(1);
    });

    it('refuses a server that is its own geo primary', () => {
      expectProblem(keysProblems({ [KEY]: { servers: [{ id: server('a'), geoPrimary: server('a') }] } }), `${at}.servers[0].geoPrimary`, /its own geo primary/);
    });

    it('refuses a geo primary listed only under another key', () => {
      const other = 'https://kv2.vault.azure.net/keys/tde';
      const list = keysProblems({
        [KEY]: { servers: [{ id: server('b'), geoPrimary: server('a') }] },
        [other]: { servers: [{ id: server('a') }] },
      });
      expectProblem(list, `${at}.servers[0].geoPrimary`, /not in this key's servers list/);
    });

    it('refuses an invalid geo primary id', () => {
      expectProblem(keysProblems({ [KEY]: { servers: [{ id: server('b'), geoPrimary: 'sql-a' }] } }), `${at}.servers[0].geoPrimary`, /must start with \/subscriptions/);
    });

    it('validates discovery scopes and switchProtector', () => {
      const list = keysProblems({ [KEY]: { discovery: { scopes: [server('a'), RG, RG.toUpperCase().replace('/RESOURCEGROUPS/RG', '/resourceGroups/rg')], switchProtector: 1 } } });
      expectProblem(list, `${at}.discovery.scopes[0]`, /not a resource below it/);
      expectProblem(list, `${at}.discovery.scopes[2]`, /duplicate scope/);
      expectProblem(list, `${at}.discovery.switchProtector`, /true or false/);
      expectProblem(keysProblems({ [KEY]: { discovery: { scopes: [] } } }), `${at}.discovery.scopes`, /at least one/);
      expectProblem(keysProblems({ [KEY]: { discovery: {} } }), `${at}.discovery.scopes`, /must be an array/);
    });
  });

  describe('sync agents', () => {
    const agentProblems = (syncAgents: unknown): ConfigProblem[] => problems(env({ syncAgents }));
    const agent = (name: string): string => `${server('sql-a')}/syncAgents/${name}`;
    const VAULT = 'https://contoso-sync.vault.azure.net';

    it('requires a vault for an agent when there is no default', () => {
      expectProblem(agentProblems({ agents: [{ id: agent('a1') }] }), 'ROTATION_CONFIG.syncAgents.agents[0].vaultUrl', /is required/);
    });

    it.each([
      ['http', 'http://contoso-sync.vault.azure.net', /scheme must be https/],
      ['another host', 'https://contoso-sync.example.com', /accepted Key Vault/],
      ['a path', 'https://contoso-sync.vault.azure.net/secrets/x', /no path/],
      ['a Managed HSM', 'https://contoso.managedhsm.azure.net', /not a Managed HSM/],
      ['a port', 'https://contoso-sync.vault.azure.net:443', /port/],
    ])('refuses a vault URL with %s', (_label, vaultUrl, message) => {
      expectProblem(agentProblems({ vaultUrl, agents: [] }), 'ROTATION_CONFIG.syncAgents.vaultUrl', message);
    });

    it('accepts China and US Government vaults in their own cloud', () => {
      const cn = loadConfig(env({ syncAgents: { vaultUrl: 'https://kv1.vault.azure.cn', agents: [{ id: agent('a') }] } }, { AZURE_CLOUD: 'AzureChinaCloud' }));
      const gov = loadConfig(env({ syncAgents: { agents: [{ id: agent('a'), vaultUrl: 'https://kv2.vault.usgovcloudapi.net/' }] } }, { AZURE_CLOUD: 'AzureUSGovernment' }));
      expect(cn.syncAgents.agents[0]?.vaultUrl).toBe('https://kv1.vault.azure.cn');
      expect(gov.syncAgents.agents[0]?.vaultUrl).toBe('https://kv2.vault.usgovcloudapi.net');
    });

    it('refuses an invalid secret name', () => {
      expectProblem(agentProblems({ vaultUrl: VAULT, agents: [{ id: agent('a1'), secretName: 'bad_name' }] }), 'ROTATION_CONFIG.syncAgents.agents[0].secretName', /\^\[0-9a-zA-Z-\]/);
    });

    it('refuses two agents writing the same secret in the same vault', () => {
      const list = agentProblems({ vaultUrl: VAULT, agents: [{ id: agent('a1'), secretName: 'shared' }, { id: agent('a2'), secretName: 'SHARED' }] });
      expectProblem(list, 'ROTATION_CONFIG.syncAgents.agents[1].secretName', /also used by ROTATION_CONFIG\.syncAgents\.agents\[0\]/);
    });

    it('allows the same secret name in different vaults', () => {
      const c = loadConfig(env({ syncAgents: { vaultUrl: VAULT, agents: [{ id: agent('a1'), secretName: 's' }, { id: agent('a2'), secretName: 's', vaultUrl: 'https://kv2.vault.azure.net' }] } }));
      expect(c.syncAgents.agents).toHaveLength(2);
    });

    it('refuses a duplicate agent', () => {
      expectProblem(agentProblems({ vaultUrl: VAULT, agents: [{ id: agent('a1') }, { id: agent('a1') }] }), 'ROTATION_CONFIG.syncAgents.agents[1].id', /duplicate sync agent/);
    });

    it('requires the default vault with discovery and validates its ids', () => {
      const list = agentProblems({ discovery: { servers: ['x'], scopes: ['/subscriptions/x'] } });
      expectProblem(list, 'ROTATION_CONFIG.syncAgents.vaultUrl', /required with discovery/);
      expectProblem(list, 'ROTATION_CONFIG.syncAgents.discovery.servers[0]', /must start with/);
      expectProblem(list, 'ROTATION_CONFIG.syncAgents.discovery.scopes[0]', /not a GUID/);
      expectProblem(agentProblems({ vaultUrl: VAULT, discovery: {} }), 'ROTATION_CONFIG.syncAgents.discovery', /needs "servers", "scopes"/);
    });

    it('validates the interval and expiry', () => {
      const list = agentProblems({ minIntervalHours: -1, secretExpiryDays: 0 });
      expectProblem(list, 'ROTATION_CONFIG.syncAgents.minIntervalHours', /non-negative number/);
      expectProblem(list, 'ROTATION_CONFIG.syncAgents.secretExpiryDays', /positive number/);
    });
  });

  describe('retry and fan-out', () => {
    it.each([
      ['baseSeconds', 0],
      ['baseSeconds', 1.5],
      ['capSeconds', '300'],
      ['maxAttempts', -2],
      ['orderDelaySeconds', null],
      ['orderMaxAttempts', 2.5],
    ])('refuses retry.%s = %o', (field, value) => {
      expectProblem(problems(env({ retry: { [field]: value } })), `ROTATION_CONFIG.retry.${field}`, /must be an integer >= 1/);
    });

    it('checks cap >= base against the defaults too', () => {
      expectProblem(problems(env({ retry: { baseSeconds: 600 } })), 'ROTATION_CONFIG.retry.capSeconds', /must be >= baseSeconds \(600\), got 300/);
    });

    it('allows inlineLimit 0 (always queue) and refuses negatives', () => {
      expect(loadConfig(env({ fanOut: { inlineLimit: 0 } })).fanOut).toEqual({ inlineLimit: 0, concurrency: 8 });
      expectProblem(problems(env({ fanOut: { inlineLimit: -1 } })), 'ROTATION_CONFIG.fanOut.inlineLimit', /integer >= 0/);
    });
  });

  describe('notifications', () => {
    const at = 'ROTATION_CONFIG.notifications';

    it.each(['http://localhost:7071/hook', 'http://127.0.0.1/hook'])('allows http for %s', (webhookUrl) => {
      expect(loadConfig(env({ notifications: { webhookUrl } })).notifications).toEqual({ webhookUrl, format: 'generic' });
    });

    it.each([
      ['http to a remote host', 'http://hooks.example.com/x', /must be https/],
      ['not a URL', 'hooks', /not a valid absolute URL/],
      ['userinfo', 'https://u:p@hooks.example.com/x', /userinfo/],
      ['ftp', 'ftp://hooks.example.com/x', /must be https/],
    ])('refuses %s', (_label, webhookUrl, message) => {
      expectProblem(problems(env({ notifications: { webhookUrl } })), `${at}.webhookUrl`, message);
    });

    it('requires the webhook URL', () => {
      expectProblem(problems(env({ notifications: { format: 'slack' } })), `${at}.webhookUrl`, /is required/);
    });
  });

  describe('Service Bus settings', () => {
    const base = { keys: {} };

    it.each([
      ['contoso-rotation.servicebus.windows.net', undefined],
      ['contoso-rotation.servicebus.chinacloudapi.cn', 'AzureChinaCloud'],
      ['contoso-rotation.servicebus.usgovcloudapi.net', 'AzureUSGovernment'],
    ])('accepts %s in its own cloud (AZURE_CLOUD %s)', (fqns, cloud) => {
      expect(loadConfig(env(base, { ServiceBusConnection__fullyQualifiedNamespace: fqns, AZURE_CLOUD: cloud })).serviceBus).toEqual({
        fullyQualifiedNamespace: fqns,
        queueName: 'sql-key-rotation',
        failureQueueName: 'sql-key-rotation-failures',
      });
    });

    it.each([
      'contoso.servicebus.windows.net.evil.com',
      'https://contoso-rotation.servicebus.windows.net',
      'abc.servicebus.windows.net',
      'contoso-rotation.servicebus.windows.net:443',
      '1contoso.servicebus.windows.net',
      'contoso-rotation.example.com',
    ])('refuses %s', (fqns) => {
      expectProblem(problems(env(base, { ServiceBusConnection__fullyQualifiedNamespace: fqns })), 'ServiceBusConnection__fullyQualifiedNamespace', /\{namespace\}/);
    });

    it('refuses a connection string without echoing it', () => {
      const list = problems(env(base, { ServiceBusConnection__connectionString: 'Endpoint=sb://x/;SharedAccessKey=abc' }));
      expectProblem(list, 'ServiceBusConnection__connectionString', /managed identity/);
      expect(JSON.stringify(list)).not.toContain('SharedAccessKey');
    });

    it('validates queue names and keeps them apart', () => {
      expectProblem(problems(env(base, { ROTATION_QUEUE_NAME: 'bad queue' })), 'ROTATION_QUEUE_NAME', /letters, digits/);
      expectProblem(problems(env(base, { ROTATION_QUEUE_NAME: 'q', ROTATION_FAILURE_QUEUE_NAME: 'Q' })), 'ROTATION_FAILURE_QUEUE_NAME', /must differ/);
    });

    it('uses no Service Bus when the namespace is not set', () => {
      expect(loadConfig(env(base, { ROTATION_QUEUE_NAME: 'q' }))).not.toHaveProperty('serviceBus');
    });
  });

  describe('AZURE_CLOUD', () => {
    const CN_KEY = 'https://contoso-tde.vault.azure.cn/keys/tde';
    const GOV_HSM_KEY = 'https://contoso-hsm.managedhsm.usgovcloudapi.net/keys/tde';
    const keys = (...uris: string[]) => ({ keys: Object.fromEntries(uris.map((u) => [u, { servers: [{ id: server('sql-a') }] }])) });

    it.each([
      [undefined, 'https://management.azure.com', 'https://management.azure.com/.default', 'https://login.microsoftonline.com'],
      ['AzureCloud', 'https://management.azure.com', 'https://management.azure.com/.default', 'https://login.microsoftonline.com'],
      ['AzureChinaCloud', 'https://management.chinacloudapi.cn', 'https://management.chinacloudapi.cn/.default', 'https://login.chinacloudapi.cn'],
      ['azureusgovernment', 'https://management.usgovcloudapi.net', 'https://management.usgovcloudapi.net/.default', 'https://login.microsoftonline.us'],
    ])('derives the ARM endpoint, scope and authority host from %s', (setting, armEndpoint, armScope, authorityHost) => {
      const config = loadConfig(env({ keys: {} }, { AZURE_CLOUD: setting }));

      expect(config.cloud).toMatchObject({ armEndpoint, armScope, authorityHost });
      expect(Object.isFrozen(config.cloud)).toBe(true);
    });

    it('refuses an unknown cloud, naming the setting and the accepted names', () => {
      expectProblem(problems(env({ keys: {} }, { AZURE_CLOUD: 'AzureGermanCloud' })), 'AZURE_CLOUD', /AzureCloud, AzureChinaCloud, AzureUSGovernment.*AzureGermanCloud/);
    });

    it('accepts vaults and a namespace of the configured cloud', () => {
      const config = loadConfig(
        env(
          { ...keys(CN_KEY), syncAgents: { vaultUrl: 'https://contoso-sync.vault.azure.cn', agents: [{ id: `${server('sql-a')}/syncAgents/a1` }] } },
          { AZURE_CLOUD: 'AzureChinaCloud', ServiceBusConnection__fullyQualifiedNamespace: 'contoso-rotation.servicebus.chinacloudapi.cn' },
        ),
      );

      expect(config.keys.get(CN_KEY)?.key.dnsSuffix).toBe('vault.azure.cn');
    });

    it('refuses, naming the key, a key vault of another cloud', () => {
      const list = problems(env(keys(KEY, CN_KEY, GOV_HSM_KEY)));

      expectProblem(list, `ROTATION_CONFIG.keys[${JSON.stringify(CN_KEY)}]`, /AzureChinaCloud \(vault\.azure\.cn\), but AZURE_CLOUD is AzureCloud/);
      expectProblem(list, `ROTATION_CONFIG.keys[${JSON.stringify(GOV_HSM_KEY)}]`, /AzureUSGovernment \(managedhsm\.usgovcloudapi\.net\)/);
      expect(list.filter((p) => p.path === `ROTATION_CONFIG.keys[${JSON.stringify(KEY)}]`)).toEqual([]);
    });

    it('refuses public-cloud vaults when the cloud is AzureUSGovernment', () => {
      expectProblem(problems(env(keys(KEY), { AZURE_CLOUD: 'AzureUSGovernment' })), `ROTATION_CONFIG.keys[${JSON.stringify(KEY)}]`, /of AzureCloud \(vault\.azure\.net\), but AZURE_CLOUD is AzureUSGovernment/);
    });

    it('refuses sync-agent vaults of another cloud at their paths', () => {
      const list = problems(
        env({
          syncAgents: {
            vaultUrl: 'https://contoso-sync.vault.usgovcloudapi.net',
            agents: [{ id: `${server('sql-a')}/syncAgents/a1` }, { id: `${server('sql-a')}/syncAgents/a2`, vaultUrl: 'https://other-sync.vault.azure.cn' }],
          },
        }),
      );

      expectProblem(list, 'ROTATION_CONFIG.syncAgents.vaultUrl', /AzureUSGovernment/);
      expectProblem(list, 'ROTATION_CONFIG.syncAgents.agents[1].vaultUrl', /AzureChinaCloud/);
    });

    it('refuses a Service Bus namespace of another cloud', () => {
      expectProblem(
        problems(env({ keys: {} }, { ServiceBusConnection__fullyQualifiedNamespace: 'contoso-rotation.servicebus.chinacloudapi.cn' })),
        'ServiceBusConnection__fullyQualifiedNamespace',
        /namespace of AzureChinaCloud, but AZURE_CLOUD is AzureCloud/,
      );
    });
  });
});
