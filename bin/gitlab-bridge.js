#!/usr/bin/env node
// Launcher for the `gitlab-bridge` CLI. The CLI is TypeScript (cli/main.ts); tsx, a runtime
// dependency, compiles it on the fly, so there is no build step and an installed package runs
// the same sources the tests run.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every run under Node < 22 that future SDK releases will need Node 22.
// The bridge supports Node 20 (package.json engines); in a CLI the notice would bury the one
// line of output that matters. Setting the variable yourself (to anything else) keeps it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('../cli/main.ts');
