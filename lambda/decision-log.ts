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
    const line: Record<string, unknown> = logged
      ? { ...this.envelope(level, 'authorizer decision', timestamp, requestId), ...entry }
      : { service: this.options.serviceName, decision: entry.decision, reason: entry.reason, latencyMs: entry.latencyMs };
    if (namespace !== undefined) {
      line._aws = {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: namespace,
            Dimensions: [['service', 'decision', 'reason']],
            Metrics: [
              { Name: 'Decisions', Unit: 'Count' },
              { Name: 'latencyMs', Unit: 'Milliseconds' },
            ],
          },
        ],
      };
      line.Decisions = 1;
    }
    this.coldStart = false;
    this.write(JSON.stringify(line));
  }

  warn(message: string, attributes: Record<string, unknown> = {}): void {
    if (SEVERITY.WARN < this.threshold) return;
    this.write(JSON.stringify({ ...this.envelope('WARN', message, this.nowMs()), ...attributes }));
  }

  private envelope(level: LogLevel, message: string, timestamp: number, requestId?: string): Record<string, unknown> {
    const envelope: Record<string, unknown> = {
      level,
      message,
      timestamp: new Date(timestamp).toISOString(),
      service: this.options.serviceName,
      cold_start: this.coldStart,
    };
    if (requestId !== undefined) envelope.function_request_id = requestId;
    const trace = process.env._X_AMZN_TRACE_ID;
    if (trace !== undefined) envelope.xray_trace_id = trace.split(';')[0]?.replace('Root=', '');
    return envelope;
  }
}
