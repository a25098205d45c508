import type { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/**
 * The EventBridge rule that runs the quiet-hours digest function (functions/digest.ts) every
 * `every`: a digest goes out at most that long after its window ends. The function is its only
 * target; EventBridge may invoke it and nothing else.
 */
export class DigestSchedule extends Construct {
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: { target: IFunction; every: Duration }) {
    super(scope, id);
    this.rule = new Rule(this, 'Rule', {
      description: 'gitlab-bridge: posts quiet-hours digests when their window ends',
      schedule: Schedule.rate(props.every),
      // A run that fails is retried by the next one; a second attempt in between adds nothing.
      targets: [new LambdaFunction(props.target, { retryAttempts: 0 })],
    });
  }
}
