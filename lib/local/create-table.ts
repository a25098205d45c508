import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE } from '../deliveries/table.js';

/**
 * Creates the bridge table with its indexes, the same layout cdk/ deploys, for the local
 * bridge and the tests (dynalite). Does nothing if the table exists.
 */
export async function ensureBridgeTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const nonKey = (index: readonly string[]) => TABLE.projectedAttributes.filter((name) => !index.includes(name));
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE.projectAttribute, AttributeType: 'S' },
          { AttributeName: TABLE.statusAttribute, AttributeType: 'S' },
          { AttributeName: TABLE.sortAttribute, AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: TABLE.partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: TABLE.byProjectIndex,
            KeySchema: [
              { AttributeName: TABLE.projectAttribute, KeyType: 'HASH' },
              { AttributeName: TABLE.sortAttribute, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: nonKey([TABLE.projectAttribute, TABLE.sortAttribute]) },
          },
          {
            IndexName: TABLE.byStatusIndex,
            KeySchema: [
              { AttributeName: TABLE.statusAttribute, KeyType: 'HASH' },
              { AttributeName: TABLE.sortAttribute, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: nonKey([TABLE.statusAttribute, TABLE.sortAttribute]) },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // dynalite creates tables asynchronously (CREATING -> ACTIVE), like DynamoDB.
  for (let i = 0; i < 200; i++) {
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (described.Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (described.Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
