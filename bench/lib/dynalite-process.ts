/**
 * dynalite in its own process (started by the micro section): a DynamoDB read then costs the handler what a
 * network round trip costs, instead of sharing the handler's event loop with the server's work.
 */
import { startLocalDynamoDb } from '../../test/support/local-dynamodb';

async function main(): Promise<void> {
  const dynamo = await startLocalDynamoDb('portcullis-bench-keys');
  process.send?.({ endpoint: dynamo.endpoint, tableName: dynamo.tableName });
  process.on('disconnect', () => {
    void dynamo.stop().finally(() => process.exit(0));
  });
}

void main();
