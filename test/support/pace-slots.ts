import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * How many of a channel's Slack pacing slots (lib/notify/slack/pacing.ts: one state item per second
 * of the channel, modulo 60) are booked in the table, read item by item.
 */
export async function bookedPaceSlots(table: { client: DynamoDBClient; tableName: string }, channel: string): Promise<number> {
  const slots = await Promise.all(
    Array.from({ length: 60 }, (_, second) =>
      table.client.send(new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: `S#slack-pace:${channel}:${second}` } } })),
    ),
  );
  return slots.filter((slot) => slot.Item !== undefined).length;
}
