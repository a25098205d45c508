import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for AWS Secrets Manager speaking its JSON 1.1 wire protocol
 * (`POST /`, `X-Amz-Target: secretsmanager.GetSecretValue`, body `{"SecretId": ...}`), enough
 * for the real @aws-sdk/client-secrets-manager to read secrets through
 * AWS_ENDPOINT_URL_SECRETS_MANAGER. Unknown ids answer ResourceNotFoundException like AWS.
 */
export interface LocalSecretsManager {
  endpoint: string;
  /** SecretId of every GetSecretValue call, in order. */
  reads: string[];
  close(): Promise<void>;
}

export async function startLocalSecretsManager(secrets: Record<string, string>): Promise<LocalSecretsManager> {
  const reads: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answer = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      };
      const target = request.headers['x-amz-target'];
      if (request.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
        answer(400, { __type: 'InvalidRequestException', message: `unsupported operation ${String(target)}` });
        return;
      }
      let secretId: unknown;
      try {
        secretId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown }).SecretId;
      } catch {
        answer(400, { __type: 'InvalidRequestException', message: 'body is not JSON' });
        return;
      }
      if (typeof secretId !== 'string') {
        answer(400, { __type: 'InvalidParameterException', message: 'SecretId is required' });
        return;
      }
      reads.push(secretId);
      const value = secrets[secretId];
      if (value === undefined) {
        answer(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
        return;
      }
      answer(200, {
        ARN: secretId,
        Name: secretId.split(':').at(-1),
        SecretString: value,
        VersionId: '00000000-0000-4000-8000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    reads,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
