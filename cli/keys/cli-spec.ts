/**
 * The keys CLI's surface: each command's flags and help text, and the target flags every command takes.
 */
import type { ParseArgsConfig } from 'node:util';
import { DEFAULT_STACK_NAME } from '../../infra/stack-outputs';
import { TIER_NAMES } from '../../infra/usage-tiers';
import { LOCAL_KEY_PREFIX, LOCAL_KEY_TABLE_NAME } from '../local-target';
import { DEFAULT_PLAN, KEY_STATES } from './key-model';

export type Options = NonNullable<ParseArgsConfig['options']>;

export const TARGET_OPTIONS = {
  local: { type: 'boolean' },
  stack: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  table: { type: 'string' },
  'usage-plan-id': { type: 'string', multiple: true },
  'rest-api-id': { type: 'string' },
  stage: { type: 'string' },
  'key-prefix': { type: 'string' },
  timeout: { type: 'string' },
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
  --stage NAME            its stage: where revoke and rotate flush the authorizer cache
  --key-prefix PREFIX     key prefix (default: the stack's KeyPrefix output, else ptc_live_)
  --timeout DURATION      deadline of each AWS or store call, retries included (default 10s, at most 10m)`;

export interface CommandSpec {
  readonly usage: string;
  readonly summary: string;
  readonly options: Options;
  readonly positionals: readonly string[];
  readonly help: string;
}

export const COMMANDS: Record<string, CommandSpec> = {
  create: {
    usage: 'create --owner O --scopes a,b [--plan free|pro] [--name N] [--expires-in 30d] [--allow-unknown-scopes] [--json]',
    summary: 'issue a key; its secret is printed once',
    positionals: [],
    options: {
      owner: { type: 'string' },
      scopes: { type: 'string' },
      plan: { type: 'string' },
      name: { type: 'string' },
      'expires-in': { type: 'string' },
      'allow-unknown-scopes': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    help: `  --owner O               who the key belongs to (your customer's id), required
  --scopes a,b            scopes the key grants, comma-separated, required
  --plan PLAN             usage plan: ${TIER_NAMES.join(', ')} (default ${DEFAULT_PLAN})
  --name N                a label, e.g. "ci"
  --expires-in DURATION   e.g. 90d; default: never expires
  --allow-unknown-scopes  grant scopes that no route of the target requires (refused by default where the
                          target's routes are known: the local mode, a stack with a RouteScopes output)
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
    usage: 'rotate KEY_ID [--grace 1h] [--wait] [--key-cache-ttl 30s] [--json]',
    summary: 'new secret, same key id, scopes, plan and usage counters',
    positionals: ['KEY_ID'],
    options: { grace: { type: 'string' }, wait: { type: 'boolean' }, 'key-cache-ttl': { type: 'string' }, json: { type: 'boolean' } },
    help: `  --grace DURATION        how long the previous secret keeps working, 0s to 30d (default 1h)
  --wait                  wait until the grace and the authorizer's key cache have run out, then flush the
                          stage's cache again: when the command returns, the previous secret is refused
                          everywhere (implied by --grace 0s)
  --key-cache-ttl D       the authorizer's KEY_CACHE_TTL, for --wait (default 30s)
  --json                  print one JSON object (with "key" and "keyId") instead of text

The new secret is printed exactly once. The key id (the Basic user name) and the usage identifier stay the same,
so usage plan quotas carry on. The rotation happens only if the command exits 0: if it is interrupted, the
previous secret stays the current one (a new secret it printed never works); run it again. The stage's authorizer
cache is flushed after the rotation, as revoke does.`,
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
    help: `  --issuer I              the issuer exactly as its tokens' iss claim, e.g. https://login.example.com/ (refused
                          when the target's issuers are known and it is not one: the local mode, a stack with a
                          JwtIssuers output)
  --client-id C           the client id (client_id claim)
  --plan P                ${TIER_NAMES.join(', ')}
  --json                  print one JSON object instead of text

Gives the client its own hidden usage key in the plan's usage plan. Binding again to the same plan changes nothing;
to another plan, the binding moves to a new hidden key in that plan.`,
  },
};

export function mainHelp(): string {
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

export function commandHelp(name: string): string {
  const spec = COMMANDS[name]!;
  return `Usage: npm run keys -- ${spec.usage} [target]

${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.

Options:
${spec.help}

${TARGET_HELP}
`;
}
