import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalSafe } from '../../lib/terminal-safe.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { startTestTable } from '../support/local-aws.js';
import { cli, localEnv, outcome, seed } from './harness.js';

const OSC8_LINK = '\u001b]8;;http://evil\u0007';
const CLEAR_SCREEN = '\u001b[2J';
/** Anything a terminal acts on: C0 except \n and \t, DEL, C1 (8-bit CSI/OSC included). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('terminalSafe', () => {
  it.each([
    ['an OSC 8 hyperlink, terminated by BEL', `${OSC8_LINK}click${'\u001b]8;;\u0007'}`, 'click'],
    ['an OSC title change, terminated by ESC \\', '\u001b]0;owned\u001b\\title', 'title'],
    ['an unterminated OSC, to the end', 'ok\u001b]8;;http://evil', 'ok'],
    ['a screen clear', `a${CLEAR_SCREEN}b`, 'ab'],
    ['colours', '\u001b[1;31mred\u001b[0m', 'red'],
    ['8-bit CSI and OSC', 'a\u009b2Jb\u009d0;x\u009cc', 'abc'],
    ['a carriage return', 'safe\rEVIL', 'safeEVIL'],
    ['backspaces and bells', 'a\b\u0007b', 'ab'],
    ['a lone ESC', 'a\u001b', 'a'],
    ['bidi overrides and isolates (text that reads other than it is)', 'fix \u202eevil\u202c \u2066x\u2069\u200f', 'fix evil x'],
    ['nothing from plain text', 'group/app main — fix: ünïcode ✓', 'group/app main — fix: ünïcode ✓'],
  ])('removes %s', (_what, input, expected) => {
    expect(terminalSafe(input)).toBe(expected);
  });

  it('keeps \\n and \\t in multi-line output, and makes them spaces on one line', () => {
    expect(terminalSafe('a\n\tb')).toBe('a\n\tb');
    expect(terminalSafe('a\n\tb', { multiline: false })).toBe('a  b');
  });
});

describe('the CLI prints no escape sequences from stored deliveries', () => {
  let table: Awaited<ReturnType<typeof startTestTable>>;
  let env: Record<string, string>;
  let id: string;

  beforeAll(async () => {
    table = await startTestTable('cli-terminal-safe');
    const store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
    env = localEnv({ dynamo: table.endpoint }, { BRIDGE_TABLE_NAME: table.tableName });
    const projectPath = `acme/${OSC8_LINK}app`;
    const ref = `main${CLEAR_SCREEN}\rEVIL`;
    const title = `fix ${OSC8_LINK}parser${CLEAR_SCREEN}\r`;
    id = (
      await seed(
        store,
        'failed',
        {
          projectPath,
          ref,
          payload: JSON.stringify({ object_kind: 'push', project: { path_with_namespace: projectPath }, commits: [{ title, message: `${title}\nbody` }] }),
        },
        [outcome({ status: 'failed', target: `ABC-1${CLEAR_SCREEN}`, error: `Jira said ${OSC8_LINK}no`, retryable: false })],
        `refused: ${title}`,
      )
    ).id;
  });
  afterAll(async () => table?.close());

  it('deliveries list', async () => {
    const run = await cli(env, ['deliveries', 'list']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('acme/app');
    expect(run.stdout).not.toMatch(CONTROL);
    expect(run.stdout).not.toContain('8;;http://evil');
  });

  it('deliveries show', async () => {
    const run = await cli(env, ['deliveries', 'show', id]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(CONTROL);
    // The record's fields and outcomes print as text; the payload as JSON, where an escape
    // shows as the six characters \u001b, which a terminal does not act on.
    const [fields, payload] = run.stdout.split('\nPayload\n');
    expect(fields).toContain('Project:  acme/app');
    expect(fields).not.toContain('8;;http://evil');
    expect(payload).toContain('\\u001b]8;;http://evil');
  });

  it('keeps the table aligned: the escape sequences are gone before widths are measured', async () => {
    const run = await cli(env, ['deliveries', 'list']);
    const [header, row] = run.stdout.split('\n');
    expect(row!.indexOf('acme/app')).toBe(header!.indexOf('PROJECT'));
    expect(row!.indexOf('mainEVIL')).toBe(header!.indexOf('REF'));
  });
});
