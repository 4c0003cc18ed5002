// OpenTelemetry spans for runs, model calls and tool calls. They go through the
// global OpenTelemetry API: without an SDK and exporter registered they cost
// next to nothing and record nothing.
import { context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';

type Attributes = Record<string, string | number | boolean | undefined>;

const tracer = () => trace.getTracer('agentrpc');

function clean(attributes: Attributes): Record<string, string | number | boolean> {
  return Object.fromEntries(
    Object.entries(attributes).filter(([, value]) => value !== undefined),
  ) as Record<string, string | number | boolean>;
}

export function startSpan(name: string, attributes: Attributes, parent?: Span): Span {
  const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
  return tracer().startSpan(name, { attributes: clean(attributes) }, ctx);
}

/** Ends a span, marking it failed when `error` is given. */
export function endSpan(
  span: Span,
  outcome: { error?: { code: string; message: string }; attributes?: Attributes } = {},
): void {
  if (outcome.attributes) span.setAttributes(clean(outcome.attributes));
  if (outcome.error) {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: `${outcome.error.code}: ${outcome.error.message}`,
    });
    span.setAttribute('agentrpc.error_code', outcome.error.code);
  }
  span.end();
}

export type { Span };
