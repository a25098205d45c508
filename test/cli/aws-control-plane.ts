import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local stand-ins for the two AWS control-plane calls the CLI makes, speaking their wire
 * protocols so the real SDK clients talk to them: CloudFormation DescribeStacks (query protocol,
 * XML) and Secrets Manager GetSecretValue (JSON 1.1). dynalite and local-aws-sqs have no such
 * APIs.
 */
export interface ControlPlane {
  url: string;
  /** Form bodies / JSON bodies received, for assertions. */
  requests: { target: string; body: string }[];
  close(): Promise<void>;
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startControlPlane(options: { stacks: Record<string, Record<string, string>>; secrets: Record<string, string> }): Promise<ControlPlane> {
  const requests: ControlPlane['requests'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const target = String(request.headers['x-amz-target'] ?? '');
      requests.push({ target: target || new URLSearchParams(body).get('Action') || '', body });
      if (target === 'secretsmanager.GetSecretValue') {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        const value = options.secrets[SecretId];
        response.writeHead(value === undefined ? 400 : 200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(
          JSON.stringify(
            value === undefined
              ? { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }
              : {
                  ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SecretId}-AbCdEf`,
                  Name: SecretId,
                  SecretString: value,
                  VersionId: 'v1',
                  CreatedDate: 1768550400,
                },
          ),
        );
        return;
      }
      const form = new URLSearchParams(body);
      if (form.get('Action') === 'DescribeStacks') {
        const name = form.get('StackName') ?? '';
        const outputs = options.stacks[name];
        response.writeHead(outputs ? 200 : 400, { 'content-type': 'text/xml' });
        response.end(
          outputs
            ? `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
                `<StackName>${escapeXml(name)}</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/${escapeXml(name)}/1</StackId>` +
                `<CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>` +
                Object.entries(outputs)
                  .map(([key, value]) => `<member><OutputKey>${escapeXml(key)}</OutputKey><OutputValue>${escapeXml(value)}</OutputValue></member>`)
                  .join('') +
                `</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DescribeStacksResponse>`
            : `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code>` +
                `<Message>Stack with id ${escapeXml(name)} does not exist</Message></Error><RequestId>r2</RequestId></ErrorResponse>`,
        );
        return;
      }
      response.writeHead(400, { 'content-type': 'text/plain' });
      response.end('unsupported');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
