/**
 * The decision log: one JSON line per decision, in the shape Powertools Logger writes (level, message, timestamp,
 * service, request and trace ids, then the fields), which is also a CloudWatch Embedded Metric Format document: the
 * `Decisions` count and `latencyMs` are published by dimensions service, decision and reason, from the same line.
 * One write per request, and no logging library in the bundle (Powertools Logger and Metrics were a third of it).
 *
 * Only codes and public identifiers are recorded: never a token, a key, a hash or an Authorization header.
 */

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
const SEVERITY: Readonly<Record<LogLevel, number>> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, SILENT: 99 };
export const LOG_LEVELS = Object.keys(SEVERITY) as LogLevel[];

export type DecisionOutcome = 'allow' | 'deny' | 'unauthorized' | 'error';

export interface DecisionEntry {
  readonly decision: DecisionOutcome;
  /** A RejectionCode, FaultCode or deny reason. */
  readonly reason: string;
  readonly method: string;
  readonly route: string;
  readonly authMethod?: 'jwt' | 'apiKey';
  readonly principal?: string;
  readonly keyId?: string;
  readonly cacheHit?: boolean;
  readonly latencyMs: number;
}

export interface DecisionLogOptions {
  readonly serviceName: string;
  readonly level: LogLevel;
  /** CloudWatch namespace of the metrics; undefined turns metrics off. */
  readonly metricsNamespace?: string;
  /** Where lines go; one call per line, without the newline. */
  readonly write?: (line: string) => void;
  readonly nowMs?: () => number;
}

const DIMENSIONS = [['service', 'decision', 'reason']];
const METRICS = [
  { Name: 'Decisions', Unit: 'Count' },
  { Name: 'latencyMs', Unit: 'Milliseconds' },
];

/** The X-Ray trace id of the current invocation (the Lambda runtime sets it per invocation). */
function traceId(): string | undefined {
  const header = process.env._X_AMZN_TRACE_ID;
  if (header === undefined) return undefined;
  const root = header.split(';')[0]!;
  return root.startsWith('Root=') ? root.slice(5) : root;
}

const writeStdout = (line: string) => {
  process.stdout.write(`${line}\n`);
};

export class DecisionLog {
  private readonly write: (line: string) => void;
  private readonly nowMs: () => number;
  private readonly threshold: number;
  private coldStart = true;

  constructor(private readonly options: DecisionLogOptions) {
    this.write = options.write ?? writeStdout;
    this.nowMs = options.nowMs ?? Date.now;
    this.threshold = SEVERITY[options.level];
  }

  /** Logs a decision (INFO, or ERROR for faults) and publishes its metrics in the same line. */
  decision(entry: DecisionEntry, requestId?: string): void {
    const level: LogLevel = entry.decision === 'error' ? 'ERROR' : 'INFO';
    const logged = SEVERITY[level] >= this.threshold;
    const namespace = this.options.metricsNamespace;
    if (!logged && namespace === undefined) return;
    const timestamp = this.nowMs();
    // Built as one literal (no spreads: they are slow on this path); undefined fields are left out by JSON.stringify.
    const line = {
      level: logged ? level : undefined,
      message: logged ? 'authorizer decision' : undefined,
      timestamp: logged ? new Date(timestamp).toISOString() : undefined,
      service: this.options.serviceName,
      cold_start: logged ? this.coldStart : undefined,
      function_request_id: logged ? requestId : undefined,
      xray_trace_id: logged ? traceId() : undefined,
      decision: entry.decision,
      reason: entry.reason,
      method: logged ? entry.method : undefined,
      route: logged ? entry.route : undefined,
      authMethod: logged ? entry.authMethod : undefined,
      principal: logged ? entry.principal : undefined,
      keyId: logged ? entry.keyId : undefined,
      cacheHit: logged ? entry.cacheHit : undefined,
      latencyMs: entry.latencyMs,
      _aws: namespace === undefined ? undefined : this.metricsBlock(namespace, timestamp),
      Decisions: namespace === undefined ? undefined : 1,
    };
    this.coldStart = false;
    this.write(JSON.stringify(line));
  }

  private metricsBlock(namespace: string, timestamp: number) {
    return {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: DIMENSIONS,
          Metrics: METRICS,
        },
      ],
    };
  }

  warn(message: string, attributes: Record<string, unknown> = {}): void {
    if (SEVERITY.WARN < this.threshold) return;
    this.write(JSON.stringify({ ...this.envelope('WARN', message, this.nowMs()), ...attributes }));
  }

  private envelope(level: LogLevel, message: string, timestamp: number): Record<string, unknown> {
    return {
      level,
      message,
      timestamp: new Date(timestamp).toISOString(),
      service: this.options.serviceName,
      cold_start: this.coldStart,
      xray_trace_id: traceId(),
    };
  }
}
