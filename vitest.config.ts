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
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
