import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One dynalite, one local SQS and one bundled CDK synth for the whole run (test files make
    // their own tables and queues in them); local Slack/Teams/Jira servers are per file.
    globalSetup: ['test/support/global-setup.ts'],
    // Low enough that slowness shows; the few tests that exercise a timeout set their own. Hooks
    // get more: test/cdk/stack.test.ts warms aws-cdk-lib's synth (cold, ~10 s under load) in one.
    testTimeout: 15_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default is one worker per CPU but one (2 - 1 on a 2-core machine). Most of the
    // suite waits on local servers (dynalite, SQS, Slack/Jira stand-ins) and on deliberate
    // timeouts, not on the CPU, so files run four at a time.
    maxWorkers: 4,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
