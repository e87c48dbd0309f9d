/**
 * One structured log line and one metric per decision. Only codes and public identifiers are recorded: never a
 * token, a key, a hash or an Authorization header.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';

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
  readonly requestId?: string;
}

export function recordDecision(logger: Logger, metrics: Metrics, entry: DecisionEntry): void {
  if (entry.decision === 'error') logger.error('authorizer decision', { ...entry });
  else logger.info('authorizer decision', { ...entry });
  const metric = metrics.singleMetric();
  metric.addDimensions({ decision: entry.decision, reason: entry.reason });
  metric.addMetric('Decisions', MetricUnit.Count, 1);
}
