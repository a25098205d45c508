// Runs one synthesized Lambda bundle the way the Node.js runtime does: a fresh Node process
// imports index.mjs (module-level code runs once, as at cold start), then calls `handler` with
// the event read from stdin. The result goes to stdout after a marker line, so the function's
// own log lines (Powertools logs, EMF metrics) stay separable.
import { pathToFileURL } from 'node:url';

const [bundle] = process.argv.slice(2);
if (!bundle) throw new Error('usage: node invoke-bundle.mjs <index.mjs>');
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const started = Date.now();
const context = {
  functionName: 'bundle-under-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bundle-under-test',
  memoryLimitInMB: '512',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/bundle-under-test',
  logStreamName: 'local',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, 60_000 - (Date.now() - started)),
  done() {},
  fail() {},
  succeed() {},
};
const module = await import(pathToFileURL(bundle).href);
const result = await module.handler(event, context);
process.stdout.write(`\n${'@@bundle-result@@'}${JSON.stringify(result ?? null)}\n`);
