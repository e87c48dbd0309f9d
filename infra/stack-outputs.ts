/**
 * Names of the sample stack's CloudFormation outputs: the key CLI finds its targets (table, usage plans, stage)
 * through them, so both sides import these names instead of repeating strings.
 */
export const STACK_OUTPUTS = {
  apiUrl: 'ApiUrl',
  restApiId: 'RestApiId',
  stageName: 'StageName',
  keyTableName: 'KeyTableName',
  authorizerId: 'AuthorizerId',
  keyPrefix: 'KeyPrefix',
  /** JSON object: tier name -> usage plan id. */
  usagePlanIds: 'UsagePlanIds',
} as const;

export const DEFAULT_STACK_NAME = 'PortcullisSample';
