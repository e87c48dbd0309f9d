/**
 * Metrics and opt-in alarms of the authorizer. The function publishes `Decisions` (count) and `latencyMs` in the
 * deployment's namespace with the dimensions service, decision and reason (lambda/decision-log.ts, Embedded Metric
 * Format); API Gateway and DynamoDB publish the rest.
 */
import { Duration } from 'aws-cdk-lib/core';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { DecisionOutcome } from '../lambda/decision-log';
import type { FaultCode } from '../lambda/errors';

/** Every fault the function reports as `decision: error` (a Record, so a new FaultCode fails to compile here). */
const FAULT_CODES: Readonly<Record<FaultCode, true>> = {
  key_store_unavailable: true,
  jwks_unavailable: true,
  introspection_unavailable: true,
  internal_error: true,
};

export type { DecisionOutcome };

/** Options of the opt-in alarms ({@link PortcullisAuthorizer.addAlarms}). */
export interface PortcullisAlarmOptions {
  /**
   * The period each alarm evaluates.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
  /**
   * Authorizer faults (DynamoDB or JWKS unavailable, internal errors) in one period that raise the alarm. Each one is a
   * 500 to a caller.
   * @default 1
   */
  readonly authorizerErrorThreshold?: number;
  /**
   * 5xx answers of a protected API in one period that raise its alarm.
   * @default 5
   */
  readonly serverErrorThreshold?: number;
  /**
   * Throttled requests to the key table in one period that raise the alarm.
   * @default 1
   */
  readonly keyTableThrottleThreshold?: number;
  /**
   * Actions run when an alarm fires (an SNS topic, for instance).
   * @default - none
   */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
}

/** The alarms {@link PortcullisAuthorizer.addAlarms} created. */
export interface PortcullisAlarms {
  readonly authorizerErrors: cloudwatch.Alarm;
  /** One per protected REST API of this app. */
  readonly serverErrors: readonly cloudwatch.Alarm[];
  /** With a key table. */
  readonly keyTableThrottles?: cloudwatch.Alarm;
}

/** The decision metrics of one deployment (namespace and service name). */
export class DecisionMetrics {
  constructor(
    private readonly namespace: string,
    private readonly serviceName: string,
  ) {}

  /** A metric of one reason, as the function publishes it. */
  public metric(metricName: 'Decisions' | 'latencyMs', outcome: DecisionOutcome, reason: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName,
      dimensionsMap: { service: this.serviceName, decision: outcome, reason },
      statistic: metricName === 'Decisions' ? 'Sum' : 'p99',
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * Decisions with this outcome, every reason summed: a SEARCH expression (reasons are open-ended), for graphs and
   * dashboards. CloudWatch alarms cannot evaluate SEARCH: alarm on {@link authorizerErrors} instead.
   */
  public decisions(outcome: DecisionOutcome, props: cloudwatch.MathExpressionOptions = {}): cloudwatch.MathExpression {
    const search =
      `SEARCH('{${this.namespace},service,decision,reason} MetricName="Decisions" ` +
      `service="${this.serviceName}" decision="${outcome}"', 'Sum', ${(props.period ?? Duration.minutes(5)).toSeconds()})`;
    return new cloudwatch.MathExpression({ expression: `SUM(${search})`, usingMetrics: {}, label: `${outcome} decisions`, ...props });
  }

  /** Authorizer faults (each a 500 to the caller), summed over every fault code: alarmable. */
  public authorizerErrors(props: cloudwatch.MathExpressionOptions = {}): cloudwatch.MathExpression {
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    Object.keys(FAULT_CODES).forEach((code, index) => {
      usingMetrics[`fault${index}`] = this.metric('Decisions', 'error', code, props.period === undefined ? {} : { period: props.period });
    });
    return new cloudwatch.MathExpression({
      expression: Object.keys(usingMetrics).map((id) => `FILL(${id}, 0)`).join(' + '),
      usingMetrics,
      label: 'authorizer faults',
      ...props,
    });
  }
}
