import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  addOptions,
  choiceOption,
  flagOption,
  listOption,
  negatedFlagOption,
  numberOption,
  optionalValueOption,
  positiveInt,
  readOptions,
  requiredTextOption,
  textOption,
  textOptionWithDefault,
} from '../../cli/options.js';

const SPECS = {
  project: requiredTextOption('-p, --project <path>', 'project'),
  since: textOption('--since <when>', 'since'),
  events: textOptionWithDefault('--events <list>', 'events', 'push,pipeline'),
  strategy: choiceOption('--strategy <s>', 'strategy', ['wildcard', 'regex'] as const),
  test: optionalValueOption('--test [trigger]', 'test'),
  dryRun: flagOption('--dry-run', 'dry run'),
  sslVerification: negatedFlagOption('--no-ssl-verification', 'skip TLS checks'),
  limit: numberOption('-n, --limit <n>', 'limit', positiveInt('--limit'), 20),
  only: listOption('--only <item>', 'only these'),
};

/** Parses `argv` with a command declaring SPECS and returns the typed values. */
function parse(argv: string[]) {
  const command = addOptions(new Command('probe'), SPECS).exitOverride();
  command.parse(argv, { from: 'user' });
  return readOptions(command.opts(), SPECS);
}

describe('option declarations', () => {
  it('read the defaults when only the required option is given: flags false, negated flags true, lists and texts undefined', () => {
    expect(parse(['-p', 'group/app'])).toEqual({
      project: 'group/app',
      since: undefined,
      events: 'push,pipeline',
      strategy: undefined,
      test: undefined,
      dryRun: false,
      sslVerification: true,
      limit: 20,
      only: undefined,
    });
  });

  it('read each given value with its declared type', () => {
    expect(
      parse([
        '-p',
        '7',
        '--since',
        '1d',
        '--events',
        'push',
        '--strategy',
        'regex',
        '--test',
        'tag_push',
        '--dry-run',
        '--no-ssl-verification',
        '-n',
        '5',
        '--only',
        'a, b',
        '--only',
        'c',
      ]),
    ).toEqual({
      project: '7',
      since: '1d',
      events: 'push',
      strategy: 'regex',
      test: 'tag_push',
      dryRun: true,
      sslVerification: false,
      limit: 5,
      only: ['a', 'b', 'c'],
    });
  });

  it('read a bare optional-value option as true', () => {
    expect(parse(['-p', 'x', '--test']).test).toBe(true);
  });

  it('refuse a declaration whose key is not the name commander stores the value under', () => {
    expect(() => addOptions(new Command('probe'), { dry: flagOption('--dry-run', 'dry run') })).toThrow('commander names it "dryRun"');
  });

  it('refuse a value of the wrong type instead of passing it on', () => {
    expect(() => readOptions({ limit: '5' }, { limit: SPECS.limit })).toThrow('-n, --limit <n>: commander gave "5", expected a number');
  });
});
