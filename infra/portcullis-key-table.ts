/**
 * The key table as a construct: the same table the key CLI creates locally (`local/create-key-table.ts`), with the
 * settings production needs. Every name comes from KEY_TABLE_SCHEMA.
 */
import { RemovalPolicy } from 'aws-cdk-lib/core';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { KEY_TABLE_SCHEMA } from '../lambda/key-table-schema';

export interface PortcullisKeyTableProps {
  /**
   * The table's name.
   * @default - a name CloudFormation generates
   */
  readonly tableName?: string;
  /**
   * What happens to the table when it leaves the stack. Key records are customer credentials' only record: keep them.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A customer managed KMS key for encryption at rest (the authorizer is granted decrypt on it).
   * @default - the AWS managed key `aws/dynamodb`
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Refuse `DeleteTable` until the protection is turned off: the table holds the only record of customers' keys.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The DynamoDB table of hashed API keys and JWT client bindings: on-demand, point-in-time recovery, encrypted with
 * KMS, retained, TTL on `purgeAt`, and the `byKeyId` and `byOwner` indexes the key CLI queries.
 */
export class PortcullisKeyTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: PortcullisKeyTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Resource', {
      tableName: props.tableName,
      partitionKey: { name: KEY_TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: props.encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
      encryptionKey: props.encryptionKey,
      timeToLiveAttribute: KEY_TABLE_SCHEMA.ttlAttribute,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deletionProtection: props.deletionProtection ?? true,
    });
    for (const [indexName, partitionKey] of [
      [KEY_TABLE_SCHEMA.keyIdIndex, 'keyId'],
      [KEY_TABLE_SCHEMA.ownerIndex, 'owner'],
    ] as const) {
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'createdAt', type: dynamodb.AttributeType.NUMBER },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
