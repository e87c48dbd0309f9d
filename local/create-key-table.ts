/**
 * CreateTable input for the key table, for the local mode and the tests. The CDK stack declares the same table
 * (same names, from KEY_TABLE_SCHEMA) with its production settings.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { KEY_TABLE_SCHEMA } from '../lambda/key-table-schema';

export function keyTableCreateInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: KEY_TABLE_SCHEMA.partitionKey, AttributeType: 'S' },
      { AttributeName: 'keyId', AttributeType: 'S' },
      { AttributeName: 'owner', AttributeType: 'S' },
      { AttributeName: 'createdAt', AttributeType: 'N' },
    ],
    KeySchema: [{ AttributeName: KEY_TABLE_SCHEMA.partitionKey, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: KEY_TABLE_SCHEMA.keyIdIndex,
        KeySchema: [
          { AttributeName: 'keyId', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: KEY_TABLE_SCHEMA.ownerIndex,
        KeySchema: [
          { AttributeName: 'owner', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
