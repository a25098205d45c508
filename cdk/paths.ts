import { fileURLToPath } from 'node:url';

/** The repository root: function entries, the lock file and the default config live here. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Lambda entries (each exports `handler`). */
export const FUNCTION_ENTRIES = {
  receiver: fileURLToPath(new URL('../functions/receiver.ts', import.meta.url)),
  worker: fileURLToPath(new URL('../functions/worker.ts', import.meta.url)),
  recovery: fileURLToPath(new URL('../functions/recovery.ts', import.meta.url)),
  digest: fileURLToPath(new URL('../functions/digest.ts', import.meta.url)),
} as const;

export const LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));
