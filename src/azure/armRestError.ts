/**
 * ARM answers read the way core-client reads them, for requests sent through an SDK client's pipeline by hand
 * (long-running operations, database reads at another api-version): the JSON body, and the RestError a non-2xx
 * answer becomes, so toRotationError classifies it exactly as an SDK call's failure.
 */
import { RestError, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';

/** The RestError core-client raises for an answer: ARM's `error.code` and `error.message`, the status, request and response. */
export function armRestError(request: PipelineRequest, response: PipelineResponse): RestError {
  const error = armResponseBody(response)?.['error'] as { code?: unknown; message?: unknown } | undefined;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const message = typeof error?.message === 'string' ? error.message : `Unexpected status code: ${response.status}`;
  return new RestError(message, { ...(code === undefined ? {} : { code }), statusCode: response.status, request, response });
}

/** The answer's body as a JSON object; undefined when it is empty, not JSON, or not an object. */
export function armResponseBody(response: Pick<PipelineResponse, 'bodyAsText'>): Record<string, unknown> | undefined {
  const text = response.bodyAsText;
  if (text === undefined || text === null || text === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
