import type { Attributes } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** The worker's tracing: what the Temporal interceptors need, and how to flush on exit. */
export interface Tracing {
  spanProcessor: SpanProcessor;
  resource: Resource;
  shutdown(): Promise<void>;
}

/** The standard OpenTelemetry switch: traces go out over OTLP/HTTP only when an endpoint is set. */
export function tracingEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
}

/**
 * Registers a tracer provider exporting over OTLP/HTTP (the exporter reads the OTEL_EXPORTER_OTLP_*
 * variables itself: endpoint, headers, timeout). Undefined when no endpoint is configured.
 * The OpenTelemetry SDK is loaded here only, so a worker without tracing never loads it.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  if (!tracingEndpoint(env)) return undefined;
  const { NodeTracerProvider } =
    require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor } =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { Resource } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME || 'wdsync-worker' });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 1000 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return { spanProcessor, resource, shutdown: () => provider.shutdown() };
}

/**
 * Runs fn in a child span of the current one (the activity's). Without a registered provider the
 * OpenTelemetry API hands out no-op spans, so this costs nothing when tracing is off. Attributes
 * are ids and counts, never worker data.
 */
export async function inSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  return api.trace.getTracer('wdsync').startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: (err as Error).name });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Adds wdsync's attributes to the active span (an activity's, opened by Temporal's interceptor). */
export function annotateActiveSpan(attributes: Attributes): void {
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  api.trace.getActiveSpan()?.setAttributes(attributes);
}
