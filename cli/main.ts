import { processContext } from './context.js';
import { runCli } from './program.js';

/** Entry of `gitlab-bridge` (bin/gitlab-bridge.js loads it through tsx). */
const code = await runCli(process.argv.slice(2), processContext());
process.exitCode = code;
