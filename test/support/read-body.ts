import type { IncomingMessage } from 'node:http';

/** The whole request body as UTF-8 text (the local Slack, Teams and Jira stand-ins read JSON/form bodies). */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
