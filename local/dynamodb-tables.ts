/**
 * Creates a table when it is missing and waits until it is ACTIVE. A table answers "ResourceNotFoundException" to
 * reads and writes while it is CREATING (in DynamoDB and in dynalite alike), so callers must not use it before.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

export async function ensureActiveTable(
  client: DynamoDBClient,
  input: CreateTableCommandInput,
  options: { readonly timeoutMs?: number; readonly pollMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let created = false;
  for (;;) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: input.TableName }));
      if (Table?.TableStatus === 'ACTIVE') return;
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      if (!created) {
        try {
          await client.send(new CreateTableCommand(input));
        } catch (createError) {
          // Another process created it first: wait for it like our own.
          if ((createError as Error).name !== 'ResourceInUseException') throw createError;
        }
        created = true;
      }
    }
    if (Date.now() > deadline) throw new Error(`Table ${input.TableName} did not become ACTIVE in time`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 20));
  }
}
