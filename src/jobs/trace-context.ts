/**
 * The W3C trace context of whoever queued a job, carried in the job's
 * payload, so the job's span (src/worker/runner.ts) links to the request
 * that queued it, though it runs later, in another process, maybe retried.
 * The format is W3C Trace Context whatever OTEL_PROPAGATORS says: this is
 * the app talking to itself, not to a proxy.
 */
import { context, type Link, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** The payload key; tasks never see it (the runner takes it out). */
export const TRACE_CONTEXT_KEY = '_traceContext';

export interface JobTraceContext {
  readonly traceparent: string;
  readonly tracestate?: string;
}

const propagator = new W3CTraceContextPropagator();

const setter = {
  set(carrier: Record<string, string>, key: string, value: string) {
    carrier[key] = value;
  },
};

const getter = {
  get: (carrier: Record<string, unknown>, key: string) =>
    typeof carrier[key] === 'string' ? carrier[key] : undefined,
  keys: (carrier: Record<string, unknown>) => Object.keys(carrier),
};

/** The active span's context, when there is a valid one (nothing otherwise). */
export function currentTraceContext(): JobTraceContext | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(context.active(), carrier, setter);
  if (carrier.traceparent === undefined) return undefined;
  return carrier.tracestate === undefined
    ? { traceparent: carrier.traceparent }
    : { traceparent: carrier.traceparent, tracestate: carrier.tracestate };
}

/** Splits a payload as stored into the task's own payload and the queuing request's link. */
export function takeTraceContext(payload: unknown): { payload: unknown; links: Link[] } {
  if (typeof payload !== 'object' || payload === null || !(TRACE_CONTEXT_KEY in payload)) {
    return { payload, links: [] };
  }
  const { [TRACE_CONTEXT_KEY]: carried, ...rest } = payload as Record<string, unknown>;
  if (typeof carried !== 'object' || carried === null) return { payload: rest, links: [] };
  const spanContext = trace.getSpanContext(
    propagator.extract(ROOT_CONTEXT, carried as Record<string, unknown>, getter),
  );
  return { payload: rest, links: spanContext ? [{ context: spanContext }] : [] };
}
