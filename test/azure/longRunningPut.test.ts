import { createHttpHeaders, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { longRunningPut, type LongRunningPutOptions } from '../../src/azure/longRunningPut.js';
import { toRotationError } from '../../src/azure/toRotationError.js';
import { PollSchedule } from '../../src/domain/pollSchedule.js';

const URL_ = 'https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/x/keys/k?api-version=2020-11-01-preview';
const STATUS = 'https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/locations/westeurope/serverKeyAzureAsyncOperation/1?api-version=2020-11-01-preview';

type Answer = { status: number; headers?: Record<string, string>; body?: unknown };

/** A sender that answers from a script and records method, URL and the (fake) time of each request. */
function scripted(answers: Answer[]) {
  const clock = { ms: 0 };
  const sent: { method: string; url: string; at: number }[] = [];
  const client = {
    sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      sent.push({ method: request.method, url: request.url, at: clock.ms });
      const a = answers.shift() ?? { status: 500 };
      return Promise.resolve({
        request,
        status: a.status,
        headers: createHttpHeaders(a.headers ?? {}),
        ...(a.body === undefined ? {} : { bodyAsText: JSON.stringify(a.body) }),
      });
    },
  };
  const options = (schedule = new PollSchedule()): LongRunningPutOptions => ({
    kind: 'serverKey',
    schedule,
    now: () => clock.ms,
    sleep: (ms) => {
      clock.ms += ms;
      return Promise.resolve();
    },
  });
  return { client, sent, options };
}

const accepted = (headers: Record<string, string> = {}): Answer => ({ status: 202, headers: { 'azure-asyncoperation': STATUS, ...headers }, body: {} });
const status = (s: string, extra: Record<string, unknown> = {}): Answer => ({ status: 200, body: { name: '1', status: s, ...extra } });

describe('longRunningPut', () => {
  it('sends the PUT, then one status poll when the operation is expected to be done, and nothing else', async () => {
    // Prepare
    const { client, sent, options } = scripted([accepted(), status('Succeeded')]);

    // Act
    await longRunningPut(client, URL_, { properties: {} }, options());

    // Assess
    expect(sent.map((s) => `${s.method} ${s.url === STATUS ? 'status' : 'resource'} @${s.at}`)).toEqual(['PUT resource @0', 'GET status @10000']);
  });

  it('polls a running operation again after a fraction of the expected duration', async () => {
    // Prepare
    const { client, sent, options } = scripted([accepted(), status('InProgress'), status('Succeeded')]);

    // Act
    await longRunningPut(client, URL_, {}, options());

    // Assess: the miss at 10 s raised the expectation to 10.8 s; the retry comes 15% of that later.
    expect(sent.map((s) => s.at)).toEqual([0, 10_000, 11_620]);
  });

  it("waits at least ARM's Retry-After", async () => {
    // Prepare
    const { client, sent, options } = scripted([accepted({ 'retry-after': '20' }), status('Succeeded')]);

    // Act
    await longRunningPut(client, URL_, {}, options());

    // Assess
    expect(sent[1]?.at).toBe(20_000);
  });

  it('returns at once when ARM completes the PUT synchronously', async () => {
    // Prepare
    const { client, sent, options } = scripted([{ status: 200, body: {} }]);

    // Act
    await longRunningPut(client, URL_, {}, options());

    // Assess
    expect(sent).toHaveLength(1);
  });

  it('polls the Location URL when there is no Azure-AsyncOperation', async () => {
    // Prepare
    const { client, sent, options } = scripted([{ status: 202, headers: { location: STATUS } }, { status: 202 }, { status: 200, body: {} }]);

    // Act
    await longRunningPut(client, URL_, {}, options());

    // Assess
    expect(sent.map((s) => s.method)).toEqual(['PUT', 'GET', 'GET']);
  });

  it('raises a failed operation as the SDK does, so its code is classified', async () => {
    // Prepare
    const { client, options } = scripted([accepted(), status('Failed', { error: { code: 'AzureKeyVaultKeyDisabled', message: 'The key is disabled.' } })]);

    // Act
    const error = await longRunningPut(client, URL_, {}, options()).catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toBe('The long-running operation has failed. AzureKeyVaultKeyDisabled. The key is disabled.');
    expect(toRotationError(error, {}).code).toBe('AzureKeyVaultKeyDisabled');
  });

  it('raises a canceled operation as the SDK does', async () => {
    // Prepare
    const { client, options } = scripted([accepted(), status('Canceled')]);

    // Act
    const error = await longRunningPut(client, URL_, {}, options()).catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toBe('Operation was canceled');
  });

  it("raises ARM's error answer as a RestError with its code and status", async () => {
    // Prepare
    const { client, options } = scripted([{ status: 409, body: { error: { code: 'ServerKeyDoesNotExists', message: 'no key' } } }]);

    // Act
    const error = await longRunningPut(client, URL_, {}, options()).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'RestError', code: 'ServerKeyDoesNotExists', statusCode: 409, message: 'no key' });
  });

  it('teaches the schedule from the first poll', async () => {
    // Prepare
    const schedule = new PollSchedule();
    const { client, options } = scripted([accepted(), status('InProgress'), status('Succeeded')]);

    // Act
    await longRunningPut(client, URL_, {}, options(schedule));

    // Assess
    expect(schedule.expectedMs('serverKey')).toBeGreaterThan(10_000);
  });
});
