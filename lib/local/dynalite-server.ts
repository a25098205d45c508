import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { guardAgainstBrowsers } from './loopback-guard.js';
import { LOCAL_AWS } from './names.js';

const require = createRequire(import.meta.url);

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

/** A DynamoDB served by dynalite on loopback: in memory, or persisted under `path`. */
export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  close(): Promise<void>;
}

/**
 * Starts dynalite on loopback. Only local tools may use it: dynalite itself answers any web
 * page's CORS preflight with `Access-Control-Allow-Origin: *` and checks no credentials, so
 * requests from browsers, preflights and requests naming a foreign Host get 403 in front of it.
 */
export async function startDynalite(options: { path?: string; port?: number; host?: string } = {}): Promise<LocalDynamo> {
  const dynalite = require('dynalite') as (options: DynaliteOptions) => Server;
  const server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const host = options.host ?? '127.0.0.1';
  // A name the caller chose to bind to is this machine too; a wildcard address names no host.
  guardAgainstBrowsers(server, { checkHost: true, allowedHosts: host === '0.0.0.0' || host === '::' ? [] : [host] });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${port}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
