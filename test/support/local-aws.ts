import { ensureBridgeTable } from '../../lib/local/create-table.js';
import { startDynalite, type LocalDynamo } from '../../lib/local/dynalite-server.js';

/** dynalite on a random loopback port with the bridge table created. */
export async function startTestTable(tableName = 'gitlab-bridge-test'): Promise<LocalDynamo & { tableName: string }> {
  const dynamo = await startDynalite();
  await ensureBridgeTable(dynamo.client, tableName);
  return { ...dynamo, tableName };
}
