import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors.js';
import { unsentOutlet } from '../../lib/secrets/unsent.js';

const notice = { printout: 'would post to #ci', dryRun: 'printed, not sent', error: 'set SLACK_BOT_TOKEN' };

describe('unsentOutlet', () => {
  it('prints the notice and records a dry run in local mode', () => {
    const printed: string[] = [];
    expect(unsentOutlet((text) => printed.push(text))(notice)).toEqual({ dryRun: 'printed, not sent' });
    expect(printed).toEqual(['would post to #ci']);
  });

  it('is a ConfigError naming what to set when nothing can print (deployed)', () => {
    const outlet = unsentOutlet(undefined);
    expect(() => outlet(notice)).toThrow(ConfigError);
    expect(() => outlet(notice)).toThrow('set SLACK_BOT_TOKEN');
  });
});
