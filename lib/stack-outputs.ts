/**
 * Output keys of the deployed CloudFormation stack. `cdk/` writes them and the CLI reads them
 * (DescribeStacks), so both import the keys from here.
 */
export const STACK_OUTPUTS = {
  /** The URL to paste into GitLab (Settings > Webhooks). */
  webhookUrl: 'WebhookUrl',
  gitlabSecretName: 'GitLabSecretName',
  slackSecretName: 'SlackSecretName',
  teamsSecretName: 'TeamsSecretName',
  jiraSecretName: 'JiraSecretName',
  gitlabApiSecretName: 'GitLabApiSecretName',
  /** The Slack app's Interactivity Request URL (Retry from Slack). */
  slackInteractionsUrl: 'SlackInteractionsUrl',
  slackSigningSecretName: 'SlackSigningSecretName',
  tableName: 'TableName',
  queueUrl: 'QueueUrl',
  queueName: 'QueueName',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  deadLetterQueueName: 'DeadLetterQueueName',
  receiverFunctionName: 'ReceiverFunctionName',
  workerFunctionName: 'WorkerFunctionName',
  alarmTopicArn: 'AlarmTopicArn',
  dashboardName: 'DashboardName',
} as const;

export type StackOutputKey = (typeof STACK_OUTPUTS)[keyof typeof STACK_OUTPUTS];

/** Stack name `cdk deploy` uses unless `-c stackName=...` says otherwise. */
export const DEFAULT_STACK_NAME = 'GitLabBridge';
