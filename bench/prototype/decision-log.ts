/**
 * PROTOTYPE (bench only): lambda/decision-log.ts writing the same line, built by assignment instead of
 * `{ ...envelope, ...entry }` (on Node 20's V8 an object literal that starts with a spread and goes on with more
 * properties or another spread takes a slow path: about 4 us, see bench/README.md).
 */
import { DecisionLog, type DecisionEntry, type DecisionLogOptions } from '../../lambda/decision-log';

const EMF_DIMENSIONS = [['service', 'decision', 'reason']];
const EMF_METRICS = [
  { Name: 'Decisions', Unit: 'Count' },
  { Name: 'latencyMs', Unit: 'Milliseconds' },
];

export class PrototypeDecisionLog extends DecisionLog {
  private readonly opts: DecisionLogOptions;
  private readonly writeLine: (line: string) => void;
  private readonly logged: boolean;
  private first = true;

  constructor(options: DecisionLogOptions) {
    super(options);
    this.opts = options;
    this.writeLine = options.write ?? ((line) => process.stdout.write(`${line}\n`));
    this.logged = options.level !== 'SILENT' && options.level !== 'ERROR';
  }

  override decision(entry: DecisionEntry, requestId?: string): void {
    const logged = entry.decision === 'error' ? this.opts.level !== 'SILENT' : this.logged;
    const namespace = this.opts.metricsNamespace;
    if (!logged && namespace === undefined) return;
    const timestamp = (this.opts.nowMs ?? Date.now)();
    const line: Record<string, unknown> = {};
    if (logged) {
      line.level = entry.decision === 'error' ? 'ERROR' : 'INFO';
      line.message = 'authorizer decision';
      line.timestamp = new Date(timestamp).toISOString();
      line.service = this.opts.serviceName;
      line.cold_start = this.first;
      if (requestId !== undefined) line.function_request_id = requestId;
      const trace = process.env._X_AMZN_TRACE_ID;
      if (trace !== undefined) line.xray_trace_id = trace.split(';')[0]?.replace('Root=', '');
      for (const key in entry) line[key] = entry[key as keyof DecisionEntry];
    } else {
      line.service = this.opts.serviceName;
      line.decision = entry.decision;
      line.reason = entry.reason;
      line.latencyMs = entry.latencyMs;
    }
    if (namespace !== undefined) {
      line._aws = { Timestamp: timestamp, CloudWatchMetrics: [{ Namespace: namespace, Dimensions: EMF_DIMENSIONS, Metrics: EMF_METRICS }] };
      line.Decisions = 1;
    }
    this.first = false;
    this.writeLine(JSON.stringify(line));
  }
}
