/**
 * `keys`: the dispatcher around {@link KeyManager}: check every flag (args.ts, cli-spec.ts), resolve the target,
 * check the input against what the target accepts (known-names.ts), run the command and print (format.ts,
 * outcome-text.ts). Returns the exit code instead of exiting, so tests run it in-process with their own clients:
 * 0 success, 1 AWS (or local store) failure, 2 bad input.
 */
import { parse, required, str, targetFlags } from './args';
import { commandHelp, COMMANDS, mainHelp } from './cli-spec';
import { parseDuration } from './duration';
import { InputError, KeyCliError } from './errors';
import { bindJson, issuedKeyJson, issuedKeyText, keyDetailText, keyListText, revokeJson, summaryJson } from './format';
import { crashHookFromEnv } from './intents';
import { DEFAULT_PLAN, KEY_STATES, KeyManager, MAX_GRACE_SECONDS, type KeyState } from './key-manager';
import { bindText, incompleteJson, incompleteText, reconcileText, revokeText, rotateFlushText } from './outcome-text';
import { checkIssuerKnown, checkScopesKnown } from './known-names';
import { resolveTarget, type ClientFactories, type Target } from './target';
import { parseScopes, validateClientId, validateIssuer, validateKeyId, validateName, validateOwner, validatePlan } from './validation';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clients?: ClientFactories;
  /** Epoch seconds. @default the system clock */
  readonly nowSeconds?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
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
  // Checks against what the target accepts (known-names.ts): after the target is known, before any write.
  let check: (target: Target) => void = () => {};
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
      const allowUnknownScopes = values['allow-unknown-scopes'] === true;
      check = (target) => checkScopesKnown(scopes, target.known, allowUnknownScopes);
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
      // A 0s grace means "the old secret stops now": only the wait-and-flush keeps that promise (commands/rotate.ts).
      const wait = values.wait === true || graceSeconds === 0;
      const ttl = str(values, 'key-cache-ttl');
      if (ttl !== undefined && !wait) throw new InputError('usage', 'rotate: --key-cache-ttl only applies with --wait (or --grace 0s)');
      const keyCacheSeconds = wait ? parseDuration('--key-cache-ttl', ttl ?? '30s', { minSeconds: 0, maxSeconds: 3600 }) : undefined;
      run = async (manager, target) => {
        const result = await manager.rotate(
          keyId,
          graceSeconds,
          (rotated) => io.stdout(asJson ? json(issuedKeyJson(rotated)) : issuedKeyText(rotated, now())),
          {
            waitForKeyCacheSeconds: keyCacheSeconds,
            onWait: (seconds) => io.stderr(`Waiting ${seconds}s for the grace and the authorizer's key cache to run out...\n`),
          },
        );
        io.stderr(rotateFlushText(result, target));
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
      check = (target) => checkIssuerKnown(issuer, target.known);
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
    check(target);
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

