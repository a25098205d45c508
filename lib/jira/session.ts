import { ENV } from '../env.js';
import { ConfigError } from '../errors.js';
import type { Credentials, JiraCredentials } from '../secrets/credentials.js';
import type { UnsentOutlet } from '../secrets/unsent.js';
import type { ActionRunResult } from '../worker/action.js';
import type { JiraConfig } from './config.js';
import type { JiraGateway } from './gateway.js';
import { JiraJsGateway } from './jira-js-gateway.js';

/**
 * Credentials are read when the first action runs (once per delivery), not at plan time, so a
 * push without Jira commands never touches the secret. Without credentials, the unsent outlet
 * takes the action: the local bridge prints what it would do; the deployed worker records a
 * ConfigError (not retried).
 */
export class JiraSession {
  private credentials: Promise<JiraCredentials | undefined> | undefined;
  private gateway: JiraGateway | undefined;

  constructor(
    private readonly source: Credentials,
    private readonly config: JiraConfig,
    private readonly unsent: UnsentOutlet,
  ) {}

  async run(describe: string, perform: (gateway: JiraGateway) => Promise<ActionRunResult>): Promise<ActionRunResult> {
    this.credentials ??= this.source.jira();
    let credentials: JiraCredentials | undefined;
    try {
      credentials = await this.credentials;
    } catch (error) {
      this.credentials = undefined;
      throw error;
    }
    if (!credentials) {
      return this.unsent({
        printout: `[jira] would ${describe}`,
        dryRun: 'Jira credentials not configured: printed instead of sent',
        error: `jira is configured (host ${this.config.host}) but no Jira credentials are set: store {"email","apiToken"} or {"bearerToken"} in the Jira secret (${ENV.jiraSecretId}), or set ${ENV.jiraEmail} and ${ENV.jiraApiToken} (or ${ENV.jiraBearerToken})`,
      });
    }
    const kind = 'bearerToken' in credentials ? 'bearer' : 'basic';
    if (kind !== this.config.auth) {
      throw new ConfigError(
        `jira.auth is "${this.config.auth}" but the Jira credentials hold ${kind === 'bearer' ? 'a bearer token' : 'an email and API token'}: set jira.auth to "${kind}" or store the other kind of credential`,
      );
    }
    this.gateway ??= new JiraJsGateway({ host: this.config.host, credentials, deployment: this.config.deployment });
    return perform(this.gateway);
  }
}
