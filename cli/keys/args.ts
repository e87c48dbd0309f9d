/**
 * Argument parsing for the keys CLI: node's parseArgs with each command's flags, and its failures restated as the
 * CLI's own messages (exit code 2).
 */
import { parseArgs } from 'node:util';
import { COMMANDS, TARGET_OPTIONS } from './cli-spec';
import { InputError } from './errors';
import type { TargetFlags } from './target';

/** Node's parseArgs messages, restated briefly and naming the command. */
export function parseFailure(command: string, error: unknown): InputError {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  const option = /'(-[^']*)'/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new InputError('unknown_flag', `${command}: unknown option ${option ?? message}; see "${command} --help"`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new InputError('usage', `${command}: ${option ? `option ${option.split(' ')[0]} ` : ''}${/argument missing/.test(message) ? 'needs a value' : 'takes no value'}`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new InputError('usage', `${command}: unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}`.trimEnd());
    default:
      return new InputError('usage', `${command}: ${message}`);
  }
}

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export function parse(command: string, args: string[]): Parsed {
  const spec = COMMANDS[command]!;
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...TARGET_OPTIONS, ...spec.options },
      strict: true,
      allowPositionals: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (error) {
    throw parseFailure(command, error);
  }
}

export function str(values: Parsed['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function required(command: string, values: Parsed['values'], name: string): string {
  const value = str(values, name);
  if (value === undefined) throw new InputError('missing_argument', `${command}: --${name} is required`);
  return value;
}

export function targetFlags(values: Parsed['values']): TargetFlags {
  return {
    local: values.local === true ? true : undefined,
    stack: str(values, 'stack'),
    region: str(values, 'region'),
    profile: str(values, 'profile'),
    table: str(values, 'table'),
    usagePlanIds: values['usage-plan-id'] as string[] | undefined,
    restApiId: str(values, 'rest-api-id'),
    stage: str(values, 'stage'),
    keyPrefix: str(values, 'key-prefix'),
  };
}
