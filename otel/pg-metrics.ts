/**
 * `db.client.operation.duration` for pg without a span per query, for when
 * no traces are exported (the default).
 *
 * instrumentation-pg computes span attributes, starts a span and chains two
 * extra promises around every query even when nothing records the span: on a
 * bookmark POST (about a dozen queries) that was 1.4 ms of a 6.9 ms request
 * (docs/benchmarks.md). This instrumentation only times the query and records
 * the same histogram — same name, unit, description, attributes and
 * instrumentation scope — so the series are the same whichever one runs.
 * When OTEL_TRACES_EXPORTER=otlp, instrumentation-pg is used instead.
 *
 * As there (requireParentSpan), only queries made inside a request or a job
 * count: graphile-worker's idle polling runs outside any span.
 */
import { type Attributes, context, type Histogram, trace, ValueType } from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
} from '@opentelemetry/instrumentation';
import type pg from 'pg';

type Query = pg.Client['query'];
type Callback = (error: Error | null, result: unknown) => void;

interface ConnectionParameters {
  readonly host?: string;
  readonly port?: number;
}

interface ClientInternals {
  readonly database?: string;
  readonly connectionParameters?: ConnectionParameters;
}

/** The SQL command: the first word, upper case (what instrumentation-pg reports). */
export function operationName(text: string): string {
  const trimmed = text.trim();
  const space = trimmed.indexOf(' ');
  const command = (space === -1 ? trimmed : trimmed.slice(0, space)).toUpperCase();
  return command.endsWith(';') ? command.slice(0, -1) : command;
}

function queryText(config: unknown): string | undefined {
  if (typeof config === 'string') return config;
  if (typeof config === 'object' && config !== null && 'text' in config) {
    const { text } = config as { text: unknown };
    if (typeof text === 'string') return text;
  }
  return undefined;
}

/** In instrumentation-pg's order, so the labels come out in the same order too. */
function attributesOf(
  client: ClientInternals,
  text: string | undefined,
  error: unknown,
): Attributes {
  const attributes: Attributes = {};
  if (client.database !== undefined) attributes['db.namespace'] = client.database;
  if (typeof error === 'object' && error !== null && 'code' in error) {
    attributes['error.type'] = String((error as { code: unknown }).code);
  }
  const port = client.connectionParameters?.port;
  if (Number.isInteger(port)) attributes['server.port'] = port;
  const host = client.connectionParameters?.host;
  if (host !== undefined) attributes['server.address'] = host;
  if (text) attributes['db.operation.name'] = operationName(text);
  attributes['db.system.name'] = 'postgresql';
  return attributes;
}

export class PgMetricsInstrumentation extends InstrumentationBase {
  // `declare`: a class field would be initialised after super(), which has
  // already created the histogram through _updateMetricInstruments().
  declare private duration: Histogram;

  /** name and version: instrumentation-pg's, so the instrumentation scope matches. */
  constructor(name: string, version: string, config: InstrumentationConfig = {}) {
    super(name, version, config);
  }

  protected override _updateMetricInstruments(): void {
    this.duration = this.meter.createHistogram('db.client.operation.duration', {
      description: 'Duration of database client operations.',
      unit: 's',
      valueType: ValueType.DOUBLE,
    });
  }

  protected override init() {
    return new InstrumentationNodeModuleDefinition(
      'pg',
      ['>=8.0.3 <9'],
      (exports: typeof pg) => {
        this._wrap(exports.Client.prototype, 'query', (original) => this.patchQuery(original));
        return exports;
      },
      (exports: typeof pg) => {
        this._unwrap(exports.Client.prototype, 'query');
      },
    );
  }

  private patchQuery(original: Query): Query {
    const instrumentation = this;
    return function query(this: pg.Client & ClientInternals, ...args: unknown[]) {
      if (trace.getSpan(context.active()) === undefined) {
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      }
      const started = performance.now();
      const text = queryText(args[0]);
      const record = (error: unknown) => {
        try {
          instrumentation.duration.record(
            (performance.now() - started) / 1000,
            attributesOf(this, text, error),
          );
        } catch {
          // Metrics never break a query.
        }
      };
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = function recorded(this: unknown, error: Error | null, result: unknown) {
          record(error);
          return (callback as Callback).call(this, error, result);
        };
      }
      const result = (original as (...a: unknown[]) => unknown).apply(this, args);
      if (result instanceof Promise) {
        // A side branch: the caller gets pg's own promise, unchanged.
        result.then(
          () => record(undefined),
          (error: unknown) => record(error),
        );
      }
      return result;
    } as Query;
  }
}
