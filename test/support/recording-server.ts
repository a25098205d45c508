import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Answer = { status: number; body?: string; headers?: Record<string, string> };

/**
 * A loopback HTTP server that records every request and answers from a script: queued answers
 * first, then the default. Tests use it as a downstream that can be down, slow to recover or
 * rate limiting.
 */
export async function startRecordingServer(defaultAnswer: Answer = { status: 202 }): Promise<{
  url: string;
  requests: RecordedRequest[];
  answerNext(...answers: Answer[]): void;
  setDefault(answer: Answer): void;
  close(): Promise<void>;
}> {
  const requests: RecordedRequest[] = [];
  const queued: Answer[] = [];
  let fallback = defaultAnswer;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = queued.shift() ?? fallback;
      response.writeHead(answer.status, answer.headers ?? {});
      response.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answerNext: (...answers) => queued.push(...answers),
    setDefault: (answer) => (fallback = answer),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
