/**
 * `npm start`: the bridge on this machine, no AWS account needed. See README.md, "Run it locally".
 */
import { resolve } from 'node:path';
import { splitCommaList } from '../config/comma-list.js';
import { resolveConfig } from '../config/resolve.js';
import { ENV } from '../env.js';
import { ConfigError } from '../errors.js';
import { credentialsFromEnv } from '../secrets/credentials.js';
import { SLACK_INTERACTIONS_PATH } from '../receiver/webhook-path.js';
import { startLocalBridge } from './bridge.js';
import { parseLocalWorkerConcurrency } from './queue-poller.js';
import { LOCAL_AWS, LOCAL_PORT } from './names.js';
import { readLocalWebhookAuth } from './webhook-auth-setting.js';
import { terminalSafe } from '../terminal-safe.js';

const env = process.env;
// The AWS SDK warns once per process that its 2027 releases need Node 22; locally that
// warning is noise in front of the bridge's own instructions.
env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const port = Number(env[ENV.localPort] ?? LOCAL_PORT);
const dataDir = resolve(env[ENV.localDataDir] ?? '.bridge-data');

// Printed notices and log lines carry payload text (MR and commit titles): no escape sequence
// from a payload reaches the developer's terminal.
const write = (line: string) => process.stdout.write(`${terminalSafe(line)}\n`);
const log = {
  info: (message: string, extra?: Record<string, unknown>) => write(`[bridge] ${message}${extra ? ` ${JSON.stringify(extra)}` : ''}`),
  warn: (message: string, extra?: Record<string, unknown>) => write(`[bridge] WARN ${message}${extra ? ` ${JSON.stringify(extra)}` : ''}`),
  error: (message: string, extra?: Record<string, unknown>) =>
    process.stderr.write(`${terminalSafe(`[bridge] ERROR ${message}${extra ? ` ${JSON.stringify(extra)}` : ''}`)}\n`),
};

/**
 * With nothing configured, the local bridge still shows the product working: notices for a
 * demo Slack channel and Jira updates for a demo site, printed (there are no credentials), so
 * a sample delivery shows what would be sent. Any real setting turns the demo off.
 */
const DEMO_ENV = { [ENV.slackChannel]: '#gitlab-bridge-demo', [ENV.jiraHost]: 'https://your-site.atlassian.net' };
const REAL_SETTINGS = [ENV.configPath, ENV.slackChannel, ENV.slackBotToken, ENV.teamsWebhookUrl, ENV.jiraHost];

async function main(): Promise<void> {
  const demo = REAL_SETTINGS.every((name) => !env[name]);
  let config;
  try {
    config = resolveConfig(demo ? { ...env, ...DEMO_ENV } : env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const authSetting = env[ENV.gitlabWebhookAuth];
  let auth;
  let workerConcurrency;
  try {
    if (authSetting && (env[ENV.gitlabWebhookToken] || env[ENV.gitlabSigningKey])) {
      throw new ConfigError(`Set ${ENV.gitlabWebhookAuth} or ${ENV.gitlabWebhookToken} / ${ENV.gitlabSigningKey}, not both`);
    }
    auth = authSetting ? readLocalWebhookAuth(authSetting) : undefined;
    workerConcurrency = parseLocalWorkerConcurrency(env[ENV.localWorkerConcurrency]);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const bridge = await startLocalBridge({
    port,
    dynamoPort: Number(env[ENV.localDynamoPort] ?? port + 1),
    sqsPort: Number(env[ENV.localSqsPort] ?? port + 2),
    dataDir,
    tokens: splitCommaList(env[ENV.gitlabWebhookToken]),
    signingKeys: splitCommaList(env[ENV.gitlabSigningKey]),
    slackSigningSecrets: splitCommaList(env[ENV.slackSigningSecret]),
    ...(auth ? { auth } : {}),
    config,
    credentials: credentialsFromEnv(env),
    gitlabUrl: env[ENV.gitlabUrl],
    // With a GitLab API token, scan GitLab's hook event log on a timer (docs/recovery.md).
    ...(env[ENV.gitlabApiToken]
      ? {
          recovery: {
            gitlabUrl: env[ENV.gitlabUrl] || 'https://gitlab.com',
            token: env[ENV.gitlabApiToken] ?? '',
            intervalMs: (config.recovery?.intervalMinutes ?? 10) * 60_000,
          },
        }
      : {}),
    print: write,
    log,
    workerConcurrency,
  });
  const token = bridge.tokens[0] ?? '';
  write('');
  write(`gitlab-bridge is running locally`);
  write(`  webhook URL   ${bridge.webhookUrl}   (health: ${bridge.url}/healthz)`);
  write(`  data          ${dataDir}`);
  write(
    `  config        ${env[ENV.configPath] ? resolve(env[ENV.configPath] ?? '') : demo ? 'demo: nothing configured, notices and Jira updates are printed' : 'zero-config from environment variables'}`,
  );
  write(
    `  routes        ${config.routes.length}${config.jira ? `, Jira ${config.jira.host}` : ''}${demo ? ` (demo: Slack ${DEMO_ENV[ENV.slackChannel]}; set ${ENV.slackChannel}, ${ENV.teamsWebhookUrl}, ${ENV.jiraHost} or ${ENV.configPath} for real ones)` : ''}`,
  );
  if (bridge.tokenGenerated) write(`  webhook token ${token}   (generated; set ${ENV.gitlabWebhookToken} to choose your own)`);
  if (auth) {
    // Counts only: the document holds secrets.
    const keys = auth.signingKeys.length + [...auth.projects.values()].reduce((sum, entry) => sum + entry.signingKeys.length, 0);
    write(`  webhook auth  ${ENV.gitlabWebhookAuth}: ${auth.tokens.length} global token(s), ${keys} signing key(s), ${auth.projects.size} project rule(s)`);
  }
  if (env[ENV.gitlabApiToken]) {
    write(
      `  recovery      every ${config.recovery?.intervalMinutes ?? 10} min: failed deliveries in GitLab's hook log of ${config.recovery?.projects ? `${config.recovery.projects.length} project(s)` : 'the projects the token maintains'} (docs/recovery.md)`,
    );
  }
  // Shown once the Retry button is on: its clicks need the Slack app's signing secret (a count, never the value).
  if (config.interactions?.retry.enabled) {
    const secrets = splitCommaList(env[ENV.slackSigningSecret]).length;
    write(
      `  slack clicks  ${bridge.url}${SLACK_INTERACTIONS_PATH}   (${secrets > 0 ? `${secrets} signing secret(s)` : `set ${ENV.slackSigningSecret}; until then clicks get 401`})`,
    );
  }
  if (bridge.requeued > 0) write(`  requeued      ${bridge.requeued} unfinished deliveries from the last run`);
  write('');
  write('For the CLI and any AWS tool (delivery log and queue):');
  write(`  export AWS_ENDPOINT_URL_DYNAMODB=${bridge.dynamoEndpoint}`);
  write(`  export AWS_ENDPOINT_URL_SQS=${bridge.sqsEndpoint}`);
  write(
    `  export AWS_REGION=${LOCAL_AWS.region} AWS_ACCESS_KEY_ID=${LOCAL_AWS.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_AWS.credentials.secretAccessKey}`,
  );
  write('');
  const shownToken = bridge.tokenGenerated ? token : auth ? `<a token from ${ENV.gitlabWebhookAuth}>` : `<your ${ENV.gitlabWebhookToken}>`;
  write('Try it (in another terminal):');
  write(
    `  curl -sS -X POST ${bridge.webhookUrl} -H 'Content-Type: application/json' -H 'X-Gitlab-Event: Pipeline Hook' ` +
      `-H "Idempotency-Key: $(node -e 'console.log(crypto.randomUUID())')" -H 'X-Gitlab-Token: ${shownToken}' ` +
      `--data @cli/samples/pipeline-failed.json`,
  );
  write(`  npx gitlab-bridge send-sample push-smart-commit --url ${bridge.webhookUrl} --token ${shownToken}`);
  write(`  AWS_ENDPOINT_URL_DYNAMODB=${bridge.dynamoEndpoint} npx gitlab-bridge deliveries list`);
  write('');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    write('stopping...');
    await bridge.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`gitlab-bridge failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
