/**
 * `keys`: argument parsing, help and printing around {@link KeyManager}. Returns the exit code instead of exiting,
 * so tests run it in-process with their own clients: 0 success, 1 AWS (or local store) failure, 2 bad input.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_STACK_NAME } from '../../infra/stack-outputs';
import { TIER_NAMES } from '../../infra/usage-tiers';
import { LOCAL_KEY_PREFIX, LOCAL_KEY_TABLE_NAME } from '../local-target';
import { parseDuration } from './duration';
import { InputError, KeyCliError } from './errors';
import {
  bindJson,
  issuedKeyJson,
  issuedKeyText,
  keyDetailText,
  keyListText,
  revokeJson,
  shortTime,
  summaryJson,
} from './format';
import { crashHookFromEnv } from './intents';
import { DEFAULT_PLAN, KEY_STATES, KeyManager, MAX_GRACE_SECONDS, type IncompleteChange, type KeyState, type ReconcileReport } from './key-manager';
import { resolveTarget, type ClientFactories, type Target, type TargetFlags } from './target';
import {
  parseScopes,
  validateClientId,
  validateIssuer,
  validateKeyId,
  validateName,
  validateOwner,
  validatePlan,
} from './validation';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clients?: ClientFactories;
  /** Epoch seconds. @default the system clock */
  readonly nowSeconds?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

const TARGET_OPTIONS = {
  local: { type: 'boolean' },
  stack: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  table: { type: 'string' },
  'usage-plan-id': { type: 'string', multiple: true },
  'rest-api-id': { type: 'string' },
  stage: { type: 'string' },
  'key-prefix': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

const TARGET_HELP = `Target (one of):
  --stack NAME            deployed stack whose outputs name the table, usage plans and stage (default ${DEFAULT_STACK_NAME})
  --table NAME            key table, without a stack lookup; with --usage-plan-id, --rest-api-id, --stage, --key-prefix
  --local                 the local mode's store (http://127.0.0.1:\${DYNAMODB_PORT:-8000}, table ${LOCAL_KEY_TABLE_NAME}, prefix ${LOCAL_KEY_PREFIX})
AWS options:
  --region REGION         AWS region (default: AWS_REGION or the profile's)
  --profile NAME          AWS profile (default: AWS_PROFILE or the default chain)
  --usage-plan-id ID      usage plan id, as <plan>=<id> (repeatable) or a bare id for this command's --plan
  --rest-api-id ID        REST API id, and
  --stage NAME            its stage: where revoke flushes the authorizer cache
  --key-prefix PREFIX     key prefix (default: the stack's KeyPrefix output, else ptc_live_)`;

interface CommandSpec {
  readonly usage: string;
  readonly summary: string;
  readonly options: Options;
  readonly positionals: readonly string[];
  readonly help: string;
}

const COMMANDS: Record<string, CommandSpec> = {
  create: {
    usage: 'create --owner O --scopes a,b [--plan free|pro] [--name N] [--expires-in 30d] [--json]',
    summary: 'issue a key; its secret is printed once',
    positionals: [],
    options: {
      owner: { type: 'string' },
      scopes: { type: 'string' },
      plan: { type: 'string' },
      name: { type: 'string' },
      'expires-in': { type: 'string' },
      json: { type: 'boolean' },
    },
    help: `  --owner O               who the key belongs to (your customer's id), required
  --scopes a,b            scopes the key grants, comma-separated, required
  --plan PLAN             usage plan: ${TIER_NAMES.join(', ')} (default ${DEFAULT_PLAN})
  --name N                a label, e.g. "ci"
  --expires-in DURATION   e.g. 90d; default: never expires
  --json                  print one JSON object (with "key" and "keyId") instead of text

The secret is printed exactly once and stored only as its SHA-256 hash. The key gets a hidden usage key in the
plan's usage plan, so the plan throttles and counts its calls. The key exists only if the command exits 0: a run
that is interrupted leaves nothing usable (a secret it printed never works), and the next command cleans it up.`,
  },
  list: {
    usage: 'list [--owner O] [--plan P] [--status S] [--json]',
    summary: 'list keys (never secrets)',
    positionals: [],
    options: { owner: { type: 'string' }, plan: { type: 'string' }, status: { type: 'string' }, json: { type: 'boolean' } },
    help: `  --owner O               only this owner's keys (a Query; otherwise the whole table is scanned)
  --plan P                only keys of this plan
  --status S              only keys in this state: ${KEY_STATES.join(', ')}
  --json                  print {"keys": [...]} instead of a table`,
  },
  show: {
    usage: 'show KEY_ID [--json]',
    summary: "one key's metadata, secrets' states and last use",
    positionals: ['KEY_ID'],
    options: { json: { type: 'boolean' } },
    help: `  --json                  print one JSON object instead of text`,
  },
  rotate: {
    usage: 'rotate KEY_ID [--grace 1h] [--json]',
    summary: 'new secret, same key id, scopes, plan and usage counters',
    positionals: ['KEY_ID'],
    options: { grace: { type: 'string' }, json: { type: 'boolean' } },
    help: `  --grace DURATION        how long the previous secret keeps working, 0s to 30d (default 1h)
  --json                  print one JSON object (with "key" and "keyId") instead of text

The new secret is printed exactly once. The key id (the Basic user name) and the usage identifier stay the same,
so usage plan quotas carry on. The rotation happens only if the command exits 0: if it is interrupted, the
previous secret stays the current one (a new secret it printed never works); run it again.`,
  },
  revoke: {
    usage: 'revoke KEY_ID [--wait] [--key-cache-ttl 30s] [--json]',
    summary: 'refuse every secret of a key from now on',
    positionals: ['KEY_ID'],
    options: { wait: { type: 'boolean' }, 'key-cache-ttl': { type: 'string' }, json: { type: 'boolean' } },
    help: `  --wait                  wait out the authorizer's key cache, then flush the stage's cache again: when the
                          command returns, the key is refused everywhere
  --key-cache-ttl D       the authorizer's KEY_CACHE_TTL, for --wait (default 30s)
  --json                  print one JSON object instead of text

Revokes every secret of the key (also one in a rotation grace period), flushes the stage's authorizer cache and
disables the key's hidden usage key. Revoking a revoked key changes nothing in the table and says so.`,
  },
  'clients bind': {
    usage: 'clients bind --issuer I --client-id C --plan P [--json]',
    summary: 'meter a JWT client (client credentials) under a usage plan',
    positionals: [],
    options: { issuer: { type: 'string' }, 'client-id': { type: 'string' }, plan: { type: 'string' }, json: { type: 'boolean' } },
    help: `  --issuer I              the issuer exactly as its tokens' iss claim, e.g. https://login.example.com/
  --client-id C           the client id (client_id claim)
  --plan P                ${TIER_NAMES.join(', ')}
  --json                  print one JSON object instead of text

Gives the client its own hidden usage key in the plan's usage plan. Binding again to the same plan changes nothing;
to another plan, the binding moves to a new hidden key in that plan.`,
  },
};

function mainHelp(): string {
  return `Usage: npm run keys -- <command> [options]

Manage Portcullis API keys and JWT client bindings.

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}\n      ${c.summary}`)
  .join('\n')}

${TARGET_HELP}

Durations: 90s, 15m, 1h, 30d. Exit codes: 0 success, 1 AWS or store failure, 2 bad input (nothing written).
Run "npm run keys -- <command> --help" for a command's options.
`;
}

function commandHelp(name: string): string {
  const spec = COMMANDS[name]!;
  return `Usage: npm run keys -- ${spec.usage} [target]

${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.

Options:
${spec.help}

${TARGET_HELP}
`;
}

/** Node's parseArgs messages, restated briefly and naming the command. */
function parseFailure(command: string, error: unknown): InputError {
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

interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

function parse(command: string, args: string[]): Parsed {
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

function str(values: Parsed['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function required(command: string, values: Parsed['values'], name: string): string {
  const value = str(values, name);
  if (value === undefined) throw new InputError('missing_argument', `${command}: --${name} is required`);
  return value;
}

function targetFlags(values: Parsed['values']): TargetFlags {
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

const json = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

/** Runs one `keys` invocation; returns its exit code. */
export async function runKeysCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch([...argv], io);
  } catch (error) {
    if (error instanceof KeyCliError) {
      io.stderr(`error: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(`error: unexpected failure: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    return 1;
  }
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest.join(' ') : '';
    if (topic !== '' && COMMANDS[topic] === undefined) throw new InputError('unknown_command', `no such command: ${topic}`);
    io.stdout(topic === '' ? mainHelp() : commandHelp(topic));
    if (first === undefined) return 2;
    return 0;
  }
  let command = first;
  let args = rest;
  if (first === 'clients') {
    const [sub, ...subArgs] = rest;
    if (sub === undefined || sub === '--help' || sub === '-h') {
      io.stdout(commandHelp('clients bind'));
      return sub === undefined ? 2 : 0;
    }
    if (sub !== 'bind') throw new InputError('unknown_command', `unknown command: clients ${sub} (did you mean "clients bind"?)`);
    command = 'clients bind';
    args = subArgs;
  }
  const spec = COMMANDS[command];
  if (spec === undefined) {
    throw new InputError('unknown_command', `unknown command: ${command}; commands are: ${Object.keys(COMMANDS).join(', ')}`);
  }
  const { values, positionals } = parse(command, args);
  if (values.help === true) {
    io.stdout(commandHelp(command));
    return 0;
  }
  if (positionals.length < spec.positionals.length) {
    throw new InputError('missing_argument', `${command}: ${spec.positionals[positionals.length]} is required (usage: ${spec.usage})`);
  }
  if (positionals.length > spec.positionals.length) {
    throw new InputError('usage', `${command}: unexpected argument ${JSON.stringify(positionals[spec.positionals.length])} (usage: ${spec.usage})`);
  }
  const now = io.nowSeconds ?? (() => Math.floor(Date.now() / 1000));

  // Every flag is checked before the target is touched: bad input never reaches AWS.
  let run: (manager: KeyManager, target: Target) => Promise<void>;
  let plan: ReturnType<typeof validatePlan> | undefined;
  const asJson = values.json === true;
  switch (command) {
    case 'create': {
      const owner = validateOwner(required(command, values, 'owner'));
      const scopes = parseScopes(required(command, values, 'scopes'));
      plan = validatePlan(str(values, 'plan') ?? DEFAULT_PLAN);
      const rawName = str(values, 'name');
      const name = rawName === undefined ? undefined : validateName(rawName);
      const expiresIn = str(values, 'expires-in');
      const expiresInSeconds = expiresIn === undefined ? undefined : parseDuration('--expires-in', expiresIn);
      run = async (manager) => {
        // Printed before the commit (the record is still pending): a killed run leaves a secret that never works.
        await manager.create({ owner, scopes, plan, name, expiresInSeconds }, (issued) =>
          io.stdout(asJson ? json(issuedKeyJson(issued)) : issuedKeyText(issued, now())),
        );
      };
      break;
    }
    case 'list': {
      const rawOwner = str(values, 'owner');
      const owner = rawOwner === undefined ? undefined : validateOwner(rawOwner);
      const planFilter = str(values, 'plan');
      if (planFilter !== undefined) validatePlan(planFilter);
      const status = str(values, 'status');
      if (status !== undefined && !(KEY_STATES as readonly string[]).includes(status)) {
        throw new InputError('invalid_status', `--status: unknown status ${JSON.stringify(status)}; statuses are: ${KEY_STATES.join(', ')}`);
      }
      run = async (manager) => {
        const result = await manager.list({ owner, plan: planFilter, status: status as KeyState | undefined });
        if (result.unreadable > 0) io.stderr(`warning: ${result.unreadable} unreadable record(s) left out\n`);
        if (result.incomplete.length > 0) io.stderr(incompleteText(result.incomplete));
        io.stdout(
          asJson
            ? json({ keys: result.keys.map((key) => summaryJson(key, false)), incomplete: result.incomplete.map(incompleteJson) })
            : keyListText(result.keys),
        );
      };
      break;
    }
    case 'show': {
      const keyId = validateKeyId(positionals[0]!);
      run = async (manager) => {
        const summary = await manager.show(keyId);
        io.stdout(asJson ? json(summaryJson(summary, true)) : keyDetailText(summary, now()));
      };
      break;
    }
    case 'rotate': {
      const keyId = validateKeyId(positionals[0]!);
      const grace = str(values, 'grace');
      const graceSeconds =
        grace === undefined ? undefined : parseDuration('--grace', grace, { minSeconds: 0, maxSeconds: MAX_GRACE_SECONDS });
      run = async (manager) => {
        await manager.rotate(keyId, graceSeconds, (rotated) => io.stdout(asJson ? json(issuedKeyJson(rotated)) : issuedKeyText(rotated, now())));
      };
      break;
    }
    case 'revoke': {
      const keyId = validateKeyId(positionals[0]!);
      const ttl = str(values, 'key-cache-ttl');
      if (ttl !== undefined && values.wait !== true) throw new InputError('usage', 'revoke: --key-cache-ttl only applies with --wait');
      const waitSeconds = values.wait === true ? parseDuration('--key-cache-ttl', ttl ?? '30s', { minSeconds: 0, maxSeconds: 3600 }) : 0;
      run = async (manager, target) => {
        if (waitSeconds > 0 && !asJson) io.stderr(`Revoking; will wait ${waitSeconds}s for the authorizer's key cache...\n`);
        const result = await manager.revoke(keyId, { waitForKeyCacheSeconds: waitSeconds });
        // The local gateway has no flush: its text below states the bound instead of a warning.
        if (!result.cacheFlush.flushed && target.kind === 'aws') {
          io.stderr(`warning: authorizer cache not flushed: ${result.cacheFlush.reason}\n`);
        }
        if (result.usageKey === 'not_found') io.stderr(`warning: the key's hidden usage key no longer exists (nothing to disable)\n`);
        if (asJson) {
          io.stdout(json(revokeJson(result)));
          return;
        }
        io.stdout(revokeText(result, target));
      };
      break;
    }
    case 'clients bind': {
      const issuer = validateIssuer(required(command, values, 'issuer'));
      const clientId = validateClientId(required(command, values, 'client-id'));
      plan = validatePlan(required(command, values, 'plan'));
      const bindPlan = plan;
      run = async (manager, target) => {
        const result = await manager.bindClient({ issuer, clientId, plan: bindPlan });
        if (asJson) {
          io.stdout(json(bindJson(result)));
          return;
        }
        io.stdout(bindText(result, target));
      };
      break;
    }
    default:
      throw new InputError('unknown_command', `unknown command: ${command}`);
  }

  // The test-only fault hook (intents.ts): does nothing unless PORTCULLIS_KEYS_CRASH_AT is set.
  const checkpoint = crashHookFromEnv(io.env);
  const target = await resolveTarget(targetFlags(values), { env: io.env, clients: io.clients, plan });
  try {
    const manager = new KeyManager({
      dynamodb: target.dynamodb,
      tableName: target.tableName,
      keyPrefix: target.keyPrefix,
      usageKeys: target.usageKeys,
      nowSeconds: now,
      sleep: io.sleep,
      revokeRecheckMs: target.revokeRecheckMs,
      where: target.where,
      checkpoint,
    });
    // Every write command first undoes what interrupted ones left (list and show only report it).
    if (command !== 'list' && command !== 'show') io.stderr(reconcileText(await manager.reconcile()));
    await run(manager, target);
    return 0;
  } finally {
    target.close();
  }
}

/** One line per interrupted change found and undone (nothing when there was none). */
function reconcileText(report: ReconcileReport): string {
  return report.entries
    .map(({ intent, outcome, reason }) => {
      const what = `an interrupted ${intent.operation === 'bind' ? 'clients bind' : intent.operation} of ${intent.subject} (started ${shortTime(intent.startedAt)})`;
      switch (outcome) {
        case 'rolled_back':
          return `note: undid ${what}: ${intent.operation === 'rotate' ? 'its previous secret is the current one' : intent.operation === 'create' ? 'its pending record and hidden usage key are deleted' : 'its new hidden usage key is deleted, the binding is unchanged'}\n`;
        case 'committed':
          return `note: ${what} had completed; cleared its intent\n`;
        case 'gone':
          return '';
        case 'failed':
          return `warning: could not undo ${what} yet (${reason}); it cannot authenticate, and the next command retries\n`;
      }
    })
    .join('');
}

function incompleteText(changes: readonly IncompleteChange[]): string {
  return changes
    .map(
      (change) =>
        `warning: unfinished ${change.operation} of ${change.subject} (started ${shortTime(change.startedAt)}, ` +
        `${change.stale ? 'interrupted: the next write command undoes it' : 'running or interrupted'}) is not a key and cannot authenticate\n`,
    )
    .join('');
}

function incompleteJson(change: IncompleteChange): Record<string, unknown> {
  return { operation: change.operation, subject: change.subject, startedAt: new Date(change.startedAt * 1000).toISOString().replace('.000Z', 'Z'), stale: change.stale };
}

function revokeText(result: Awaited<ReturnType<KeyManager['revoke']>>, target: Target): string {
  const lines: string[] = [];
  if (result.alreadyRevoked) {
    lines.push(`Key ${result.keyId} was already revoked${result.revokedAt ? ` (${shortTime(result.revokedAt)})` : ''}: nothing changed in the key table.`);
  } else {
    lines.push(`Revoked key ${result.keyId} (${result.revokedSecrets} secret${result.revokedSecrets === 1 ? '' : 's'}).`);
  }
  if (result.cancelledChanges > 0) {
    lines.push(`Stopped ${result.cancelledChanges} unfinished create or rotation of the key: its new secret never becomes usable.`);
  }
  if (result.usageKey === 'disabled') lines.push(`Its hidden usage key is disabled${target.kind === 'aws' ? ': metered routes refuse it as soon as API Gateway applies the change' : ''}.`);
  if (result.lateCacheFlush?.flushed) {
    lines.push('The key cache has expired and the authorizer cache was flushed again: the key is refused everywhere now.');
  } else if (result.cacheFlush.flushed) {
    lines.push(
      'The stage\'s authorizer cache was flushed. Callers are refused once the authorizer\'s key cache expires (KEY_CACHE_TTL, 30 s by default); ' +
        'a request made before that may be cached by the gateway for its result cache TTL. Use --wait to close that window.',
    );
  } else {
    lines.push(
      target.kind === 'local'
        ? 'Callers are refused within KEY_CACHE_TTL + AUTHORIZER_CACHE_TTL of the local mode.'
        : "Callers are refused within KEY_CACHE_TTL (30 s by default) + the stage's authorizer result cache TTL.",
    );
  }
  return lines.join('\n') + '\n';
}

function bindText(result: Awaited<ReturnType<KeyManager['bindClient']>>, target: Target): string {
  const who = `client ${result.binding.clientId} of ${result.binding.issuer}`;
  switch (result.outcome) {
    case 'unchanged':
      return `Client ${result.binding.clientId} of ${result.binding.issuer} is already bound to plan ${result.binding.plan}: nothing changed.\n`;
    case 'created':
      return `Bound ${who} to plan ${result.binding.plan}${result.binding.usageKeyId ? ` (hidden usage key ${result.binding.usageKeyId})` : ''}.\n`;
    case 'rebound': {
      const lines = [`Moved ${who} from plan ${result.previous?.plan} to plan ${result.binding.plan}.`];
      if (target.kind === 'aws' && result.previous?.usageKeyId) {
        lines.push(
          `Its previous hidden usage key ${result.previous.usageKeyId} is no longer used once the caches expire; ` +
            `delete it then with: aws apigateway delete-api-key --api-key ${result.previous.usageKeyId}`,
        );
      }
      return lines.join('\n') + '\n';
    }
  }
}
