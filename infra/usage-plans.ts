/**
 * The usage plans of the authorizer: one API Gateway usage plan per tier, and, with a default plan, the hidden usage
 * key that JWT clients without a binding of their own share.
 */
import { Fn, Stack } from 'aws-cdk-lib/core';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type { Construct } from 'constructs';
import type { UsageTier } from './usage-tiers';

export interface UsagePlans {
  /** One usage plan per tier, by tier name. */
  readonly plans: Readonly<Record<string, apigateway.UsagePlan>>;
  /** The hidden API Gateway key on the default plan. */
  readonly defaultUsageKey?: apigateway.ApiKey;
  /** Its value (a deploy-time token), which the function returns as `usageIdentifierKey`. */
  readonly defaultUsageKeyValue?: string;
}

/**
 * The default usage key's value: alphanumeric, 20-128 characters, as API Gateway documents key values. Derived from
 * the stack's UUID (hyphens removed) and the construct's address: stable across updates, unique per deployment, and
 * nothing is committed or generated at synth. Not a secret and not a credential: with the API's key source AUTHORIZER,
 * API Gateway takes usage keys only from the authorizer's answer, never from a client header.
 */
export function defaultUsageKeyValue(scope: Construct, plan: string): string {
  const stackUuid = Fn.select(2, Fn.split('/', Stack.of(scope).stackId));
  // 8 + at most 32 + 8 + 32 characters: 48 to 80.
  return Fn.join('', ['ptcusage', plan.replace(/[^a-z0-9]/g, ''), scope.node.addr.slice(0, 8), Fn.join('', Fn.split('-', stackUuid))]);
}

/** Creates the plans (and the default usage key) as children of `scope`. */
export function createUsagePlans(
  scope: Construct,
  tiers: Readonly<Record<string, UsageTier>>,
  defaultPlan: string | undefined,
): UsagePlans {
  const stack = Stack.of(scope);
  const plans: Record<string, apigateway.UsagePlan> = {};
  for (const [name, tier] of Object.entries(tiers)) {
    plans[name] = new apigateway.UsagePlan(scope, `UsagePlan-${name}`, {
      name: `${stack.stackName}-${name}`,
      description: tier.description,
      throttle: { rateLimit: tier.rateLimit, burstLimit: tier.burstLimit },
      quota: { limit: tier.quota.limit, period: apigateway.Period[tier.quota.period] },
    });
  }
  if (defaultPlan === undefined) return { plans: Object.freeze(plans) };
  const value = defaultUsageKeyValue(scope, defaultPlan);
  const defaultUsageKey = new apigateway.ApiKey(scope, 'DefaultUsageKey', {
    value,
    description:
      `Shared usage identifier of JWT clients without a plan binding (plan ${defaultPlan}). ` +
      'Not a credential: the API key source is AUTHORIZER.',
    enabled: true,
  });
  plans[defaultPlan]!.addApiKey(defaultUsageKey);
  return { plans: Object.freeze(plans), defaultUsageKey, defaultUsageKeyValue: value };
}
