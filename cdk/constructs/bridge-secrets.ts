import { RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PLACEHOLDER_PREFIX } from '../../lib/secrets/credentials.js';

export interface BridgeSecretsProps {
  retainData: boolean;
}

/**
 * Placeholder values for the secrets only the operator can fill in. They start with
 * REPLACE_ME, which lib/secrets/credentials.ts reads as "not configured", so the bridge runs
 * (and records "not configured") until the real values are put in with
 * `aws secretsmanager put-secret-value` (docs/deploy.md). They are instructions, not secrets.
 *
 * Keep these strings stable: CloudFormation writes SecretString only when the template's value
 * changes, so an edited placeholder would overwrite the real value an operator put in.
 */
export const SECRET_PLACEHOLDERS = {
  slack: `${PLACEHOLDER_PREFIX}: put the Slack bot token (xoxb-...) here`,
  teams: `${PLACEHOLDER_PREFIX}: put {"<name>":"<Teams Workflows webhook URL>"} here`,
  jira: `${PLACEHOLDER_PREFIX}: put {"email":"...","apiToken":"..."} or {"bearerToken":"..."} here`,
  gitlabApi: `${PLACEHOLDER_PREFIX}: put a GitLab project or group access token (read_api) here`,
  slackSigning: `${PLACEHOLDER_PREFIX}: put the Slack app's signing secret here (two, comma-separated, while rotating)`,
} as const;

/** Length of the generated GitLab webhook token (alphanumeric; GitLab accepts any string). */
export const GITLAB_TOKEN_LENGTH = 48;

/**
 * The six secrets the bridge reads at runtime. The functions get their ids (ARNs) in the
 * environment and read the values from Secrets Manager; no value is in the template or in any
 * environment variable. Named `<stack>/...` so the commands in docs/deploy.md can name them.
 */
export class BridgeSecrets extends Construct {
  /** GitLab webhook token(s) and signing keys: a plain token, a JSON array, or {tokens, signingKeys, projects}. */
  readonly gitlab: Secret;
  readonly slack: Secret;
  readonly teams: Secret;
  readonly jira: Secret;
  /** GitLab API token the worker reads job logs and users with (not the webhook token above). */
  readonly gitlabApi: Secret;
  /** The Slack app's signing secret(s): only the receiver reads it, to verify button clicks. */
  readonly slackSigning: Secret;
  /** The secrets' names as written (the secretName attribute is derived from the ARN at deploy time). */
  readonly names: { gitlab: string; slack: string; teams: string; jira: string; gitlabApi: string; slackSigning: string };

  constructor(scope: Construct, id: string, props: BridgeSecretsProps) {
    super(scope, id);
    const prefix = Stack.of(this).stackName;
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.names = {
      gitlab: `${prefix}/gitlab-webhook`,
      slack: `${prefix}/slack-bot-token`,
      teams: `${prefix}/teams-webhooks`,
      jira: `${prefix}/jira-credentials`,
      gitlabApi: `${prefix}/gitlab-api-token`,
      slackSigning: `${prefix}/slack-signing-secret`,
    };

    this.gitlab = new Secret(this, 'GitLabWebhook', {
      secretName: this.names.gitlab,
      description: 'GitLab webhook secret token the receiver accepts (paste it into GitLab > Settings > Webhooks > Secret token).',
      generateSecretString: { passwordLength: GITLAB_TOKEN_LENGTH, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    this.slack = this.placeholder('Slack', this.names.slack, 'Slack bot token (xoxb-...) the worker posts with.', SECRET_PLACEHOLDERS.slack, removalPolicy);
    this.teams = this.placeholder('Teams', this.names.teams, 'Teams Workflows webhook URLs by name (JSON object).', SECRET_PLACEHOLDERS.teams, removalPolicy);
    this.jira = this.placeholder(
      'Jira',
      this.names.jira,
      'Jira credentials (JSON: email + apiToken, or bearerToken).',
      SECRET_PLACEHOLDERS.jira,
      removalPolicy,
    );
    this.gitlabApi = this.placeholder(
      'GitLabApi',
      this.names.gitlabApi,
      'GitLab API token (project or group access token, read_api) the worker reads job logs and users with.',
      SECRET_PLACEHOLDERS.gitlabApi,
      removalPolicy,
    );

    this.slackSigning = this.placeholder(
      'SlackSigning',
      this.names.slackSigning,
      "Slack app signing secret(s) the receiver verifies the Retry button's clicks with.",
      SECRET_PLACEHOLDERS.slackSigning,
      removalPolicy,
    );

    for (const secret of [this.gitlab, this.slack, this.teams, this.jira, this.gitlabApi, this.slackSigning]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'No rotation Lambda can rotate these: the GitLab token must change in GitLab and here together (the receiver accepts several tokens at once for a no-downtime swap, see docs/deploy.md), and the Slack, Teams, Jira and GitLab API credentials are issued by those services.',
      });
    }
  }

  private placeholder(id: string, secretName: string, description: string, value: string, removalPolicy: RemovalPolicy): Secret {
    return new Secret(this, id, {
      secretName,
      description,
      // A literal placeholder (see SECRET_PLACEHOLDERS), not a credential.
      secretStringValue: SecretValue.unsafePlainText(value),
      removalPolicy,
    });
  }
}
