import { CliError, EXIT } from './exit-codes.js';

/** What the failing call was about, so the message names it: "table gitlab-bridge". */
export interface AwsErrorSubject {
  /** e.g. `DynamoDB table "gitlab-bridge"`, `SQS queue https://...`. */
  resource: string;
  /** The endpoint, when a local one is configured (names the likely fix: start the local bridge). */
  endpoint?: string;
}

function errorName(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const record = error as { name?: unknown; Code?: unknown; code?: unknown };
  return String(record.name ?? record.Code ?? record.code ?? '');
}

function causeCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}

/**
 * Turns an AWS SDK failure into one line with its fix: no credentials, access denied, no region,
 * missing table or queue, local endpoint not running. Anything else keeps the SDK's message.
 */
export function awsErrorToCliError(error: unknown, subject: AwsErrorSubject): CliError {
  if (error instanceof CliError) return error;
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  const network = causeCode(error);
  if (network === 'ECONNREFUSED' || network === 'ENOTFOUND' || network === 'ECONNRESET') {
    return new CliError(
      `cannot reach ${subject.resource}${subject.endpoint ? ` at ${subject.endpoint}` : ''} (${network})`,
      EXIT.failure,
      subject.endpoint ? 'is the local bridge running (npm start)? It prints the AWS_ENDPOINT_URL_* values to use' : 'check your network and AWS_REGION',
    );
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new CliError(
      'no AWS credentials found',
      EXIT.auth,
      'set AWS_PROFILE (or run `aws sso login`), or point at the local bridge with the AWS_ENDPOINT_URL_* values `npm start` prints',
    );
  }
  if (/Region is missing/i.test(message)) {
    return new CliError('no AWS region set', EXIT.usage, 'set AWS_REGION (or a region in your AWS profile)');
  }
  if (
    /^(AccessDenied|AccessDeniedException|UnrecognizedClientException|InvalidClientTokenId|ExpiredToken|ExpiredTokenException|InvalidSignatureException|SignatureDoesNotMatch)$/.test(
      name,
    )
  ) {
    return new CliError(
      `AWS refused access to ${subject.resource} (${name})`,
      EXIT.auth,
      'check that your AWS credentials are current and allowed to read the bridge stack',
    );
  }
  if (name === 'ResourceNotFoundException' || /QueueDoesNotExist|NonExistentQueue/.test(name)) {
    return new CliError(`${subject.resource} does not exist`, EXIT.notFound, 'check --table / --queue-url / --dlq-url, or --stack and AWS_REGION');
  }
  return new CliError(`${subject.resource}: ${name ? `${name}: ` : ''}${message}`, EXIT.failure);
}
