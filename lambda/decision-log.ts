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
    this.serviceField = `"service":${JSON.stringify(options.serviceName)}`;
    const namespace = options.metricsNamespace;
    this.metricsTail =
      namespace === undefined
        ? undefined
        : `,"CloudWatchMetrics":${JSON.stringify([{ Namespace: namespace, Dimensions: DIMENSIONS, Metrics: METRICS }])}},"Decisions":1`;
  }

  /** Logs a decision (INFO, or ERROR for faults) and publishes its metrics in the same line. */
  decision(entry: DecisionEntry, requestId?: string): void {
    const level: LogLevel = entry.decision === 'error' ? 'ERROR' : 'INFO';
    const logged = SEVERITY[level] >= this.threshold;
    if (!logged && this.metricsTail === undefined) return;
    const timestamp = this.nowMs();
    // Written by hand, in the order and with the omissions JSON.stringify would give the documented object (a test
    // holds the two equal): stringifying a nested object per request cost twice as much. Every string that is not
    // one of our own constants goes through JSON.stringify, so any character is escaped as JSON requires.
    let line = logged
      ? `{"level":"${level}","message":"authorizer decision","timestamp":"${this.isoTimestamp(timestamp)}",${this.serviceField},"cold_start":${this.coldStart}`
      : `{${this.serviceField}`;
    if (logged) {
      if (requestId !== undefined) line += `,"function_request_id":${JSON.stringify(requestId)}`;
      const trace = traceId();
      if (trace !== undefined) line += `,"xray_trace_id":${JSON.stringify(trace)}`;
    }
    line += `,"decision":${JSON.stringify(entry.decision)},"reason":${JSON.stringify(entry.reason)}`;
    if (logged) {
      line += `,"method":${JSON.stringify(entry.method)},"route":${JSON.stringify(entry.route)}`;
      if (entry.authMethod !== undefined) line += `,"authMethod":${JSON.stringify(entry.authMethod)}`;
      if (entry.principal !== undefined) line += `,"principal":${JSON.stringify(entry.principal)}`;
      if (entry.keyId !== undefined) line += `,"keyId":${JSON.stringify(entry.keyId)}`;
      if (entry.cacheHit !== undefined) line += `,"cacheHit":${entry.cacheHit}`;
    }
    line += `,"latencyMs":${JSON.stringify(entry.latencyMs)}`;
    if (this.metricsTail !== undefined) line += `,"_aws":{"Timestamp":${timestamp}${this.metricsTail}`;
    this.coldStart = false;
    this.write(`${line}}`);
  }

  /** `"service":"<name>"`, escaped once. */
  private readonly serviceField: string;
  /** The EMF block after its timestamp, then the metric value: constant per container; undefined: metrics off. */
  private readonly metricsTail: string | undefined;
  private lastTimestamp = Number.NaN;
  private lastIsoTimestamp = '';

  /** ISO 8601 of a time in ms; decisions in the same millisecond share the string. */
  private isoTimestamp(timestamp: number): string {
    if (timestamp !== this.lastTimestamp) {
      this.lastTimestamp = timestamp;
      this.lastIsoTimestamp = new Date(timestamp).toISOString();
    }
    return this.lastIsoTimestamp;
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
