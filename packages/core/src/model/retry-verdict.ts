// Some servers answer a request they cannot take with a 5xx instead of a 4xx:
// llama-cpp-python turns every exception into a 500, vLLM's templates raise on
// roles they do not know. The openai SDK retries every 5xx, so such a request
// went out three times and failed three times. This fetch reads a 5xx body
// (error bodies are small) and, when it describes the request rather than the
// server's health, marks the reply `x-should-retry: false`, which the SDK obeys.

const describesTheRequest =
  /response_format|json_schema|validation|invalid (request|param|argument|value|input|message|type)|not supported|unsupported|unknown (variant|field|parameter|role)|must be|is required|NoneType|roles must alternate/i;

/** True when a 5xx body says the request itself is wrong, so sending it again cannot help. */
export function isRequestRefusal(body: string): boolean {
  return describesTheRequest.test(body);
}

/** Wraps `fetch` so 5xx replies that refuse the request are not retried. */
export function withRetryVerdict(fetch: typeof globalThis.fetch): typeof globalThis.fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (response.status < 500 || response.headers.has('x-should-retry')) return response;
    const body = await response.text();
    const headers = new Headers(response.headers);
    if (isRequestRefusal(body)) headers.set('x-should-retry', 'false');
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  };
}
