/**
 * Argument parsing for the keys CLI: node's parseArgs with each command's flags, and its failures restated as the
 * CLI's own messages (exit code 2).
 */
import { parseArgs } from 'node:util';
import { COMMANDS, TARGET_OPTIONS, type Options } from './cli-spec';
import { parseDuration } from './duration';
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
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // Node says "argument missing" / "argument is ambiguous" (the next word is another flag) for a flag without
      // its value, and "does not take an argument" for a value given to a boolean flag.
      const flag = option ? `option ${option.split(' ')[0]} ` : '';
      return new InputError(
        /does not take an argument/.test(message) ? 'usage' : 'missing_argument',
        `${command}: ${flag}${/does not take an argument/.test(message) ? 'takes no value' : 'needs a value'}`,
      );
    }
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

/**
 * `--grace -1h`: node's parseArgs reads a value that starts with a dash as a missing value. When the word after a
 * flag that takes a value is not itself a flag of this command, it is that flag's value (`--grace=-1h`), so the
 * value's own check gives the real reason.
 */
function attachDashValues(args: readonly string[], options: Options): string[] {
  const takesValue = (name: string) => options[name]?.type === 'string';
  const isFlag = (word: string) => {
    if (word === '--') return true;
    if (word.startsWith('--')) return options[word.slice(2).split('=')[0]!] !== undefined;
    return Object.values(options).some((option) => option.short !== undefined && word === `-${option.short}`);
  };
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    const next = args[i + 1];
    if (word === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (word.startsWith('--') && !word.includes('=') && takesValue(word.slice(2)) && next !== undefined && next.startsWith('-') && !isFlag(next)) {
      out.push(`${word}=${next}`);
      i++;
      continue;
    }
    out.push(word);
  }
  return out;
}

export function parse(command: string, args: string[]): Parsed {
  const spec = COMMANDS[command]!;
  const options = { ...TARGET_OPTIONS, ...spec.options };
  try {
    const { values, positionals } = parseArgs({
      args: attachDashValues(args, options),
      options,
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
    timeoutSeconds: values.timeout === undefined ? undefined : parseDuration('--timeout', str(values, 'timeout')!, { minSeconds: 1, maxSeconds: 600 }),
  };
}
