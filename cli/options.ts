import { InvalidArgumentError, Option, type Command } from 'commander';
import { splitCommaList } from '../lib/config/comma-list.js';

/**
 * One option of a command, declared once: the commander `Option` (flags, help, parser,
 * default) and how to read its parsed value back with its type. `read` checks the value
 * commander produced, so the type of a command's options follows from these declarations
 * instead of a cast of `command.opts()`.
 */
export interface OptionSpec<T> {
  option: Option;
  read(value: unknown): T;
}

/** A command's options by attribute name (`--dry-run` is `dryRun`, as commander names it). */
export type OptionSpecs = Record<string, OptionSpec<unknown>>;

/** The parsed values of `S`, typed by their declarations. */
export type OptionValues<S extends OptionSpecs> = { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

function misread(option: Option, expected: string, value: unknown): never {
  throw new TypeError(`${option.flags}: commander gave ${JSON.stringify(value)}, expected ${expected}`);
}

function optionalString(option: Option) {
  return (value: unknown): string | undefined => (value === undefined || typeof value === 'string' ? value : misread(option, 'a string', value));
}

/** `--name <value>`: the value, or undefined when not given. */
export function textOption(flags: string, description: string): OptionSpec<string | undefined> {
  const option = new Option(flags, description);
  return { option, read: optionalString(option) };
}

/** `--name <value>` that must be given (commander reports it missing). */
export function requiredTextOption(flags: string, description: string): OptionSpec<string> {
  const option = new Option(flags, description).makeOptionMandatory();
  return { option, read: (value) => (typeof value === 'string' ? value : misread(option, 'a string', value)) };
}

/** `--name <value>` with a default shown in --help. */
export function textOptionWithDefault(flags: string, description: string, defaultValue: string): OptionSpec<string> {
  const option = new Option(flags, description).default(defaultValue);
  return { option, read: (value) => (typeof value === 'string' ? value : misread(option, 'a string', value)) };
}

/** `--name <value>` limited to `choices` (commander rejects others). */
export function choiceOption<C extends string>(flags: string, description: string, choices: readonly C[]): OptionSpec<C | undefined> {
  const option = new Option(flags, description).choices(choices);
  const isChoice = (value: unknown): value is C => typeof value === 'string' && (choices as readonly string[]).includes(value);
  return { option, read: (value) => (value === undefined || isChoice(value) ? value : misread(option, `one of ${choices.join(', ')}`, value)) };
}

/** `--name [value]`: true when given bare, the value when given one, undefined when absent. */
export function optionalValueOption(flags: string, description: string): OptionSpec<string | boolean | undefined> {
  const option = new Option(flags, description);
  return {
    option,
    read: (value) => (value === undefined || typeof value === 'string' || typeof value === 'boolean' ? value : misread(option, 'a string or true', value)),
  };
}

/** `--name`: false unless given (no "(default: false)" noise in --help). */
export function flagOption(flags: string, description: string): OptionSpec<boolean> {
  const option = new Option(flags, description);
  return { option, read: (value) => (value === undefined || typeof value === 'boolean' ? value === true : misread(option, 'a boolean', value)) };
}

/** `--no-name`: true unless given (commander's negatable flag). */
export function negatedFlagOption(flags: string, description: string): OptionSpec<boolean> {
  const option = new Option(flags, description);
  return { option, read: (value) => (typeof value === 'boolean' ? value : misread(option, 'a boolean', value)) };
}

/** `--name <n>` parsed to a number by `parse`, with a default shown in --help. */
export function numberOption(flags: string, description: string, parse: (value: string) => number, defaultValue: number): OptionSpec<number> {
  const option = new Option(flags, description).argParser(parse).default(defaultValue);
  return { option, read: (value) => (typeof value === 'number' ? value : misread(option, 'a number', value)) };
}

/** `--name <item>` repeatable and comma-separated, collected into a list; undefined when absent. */
export function listOption(flags: string, description: string): OptionSpec<string[] | undefined> {
  const option = new Option(flags, description).argParser(collect);
  const isList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');
  return { option, read: (value) => (value === undefined || isList(value) ? value : misread(option, 'a list of strings', value)) };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...splitCommaList(value)];
}

/** Parser of a `--name <n>` that must be a positive whole number. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError(`${name} must be a positive whole number.`);
    return number;
  };
}

/** Parser of a `--name <seconds>` that must be a whole number, 0 included. */
export function nonNegativeInt(name: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError(`${name} must be a whole number of seconds.`);
    return number;
  };
}

/**
 * Adds the declared options to `command`, in order. Each key must be the name commander stores
 * the value under, so that `readOptions` finds it: a mismatch fails when the program is built.
 */
export function addOptions(command: Command, specs: OptionSpecs): Command {
  for (const [key, spec] of Object.entries(specs)) {
    if (spec.option.attributeName() !== key)
      throw new Error(`option ${spec.option.flags} is declared as "${key}", commander names it "${spec.option.attributeName()}"`);
    command.addOption(spec.option);
  }
  return command;
}

/** The typed values of `specs` from commander's parsed values (`command.opts()` or `optsWithGlobals()`). */
export function readOptions<S extends OptionSpecs>(values: Record<string, unknown>, specs: S): OptionValues<S> {
  // Each entry went through its spec's checked `read`; only the record's shape is asserted here.
  return Object.fromEntries(Object.entries(specs).map(([key, spec]) => [key, spec.read(values[key])])) as OptionValues<S>;
}
