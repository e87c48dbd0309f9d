/**
 * Crash safety, for real: the `keys` process (the portcullis-keys bin) against dynalite through `--local` (the local
 * usage-key registry stands in for API Gateway), killed with SIGKILL at every step boundary of create, rotate and
 * clients bind by the test-only hook PORTCULLIS_KEYS_CRASH_AT. No undo code runs in a killed process. Then: the
 * store holds nothing usable that is half made (checked through the real authorizer handler), and a rerun of the
 * same command completes, leaving exactly one working key and one enabled usage key. The reruns run the same CLI
 * in this process (one as a process too): a different, living pid, as a rerun would be.
 *
 * Each case gets its own dynalite, so the cases run side by side.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCAL_KEY_TABLE_NAME } from '../../cli/local-target';
import { runKeysCli } from '../../cli/keys/main';
import { LOCAL_USAGE_KEY_TABLE } from '../../local/usage-key-registry';
import { CRASH_POINTS, INTENT_PARTITION, type CrashPoint } from '../../cli/keys/intents';
import { apiKeyRecordFromItem, clientBindingFromItem, type Item } from '../../lambda/key-table-schema';
import { createHarness, gatewayStatus, requestEvent, type Harness } from '../support/authorizer-harness';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';
import { scanAll, untilActive } from './support';

const ROOT = join(__dirname, '../..');
const BIN = join(ROOT, 'cli/bin/portcullis-keys.cjs');

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface World {
  readonly dynamo: LocalDynamoDb;
  readonly harness: Harness;
  /** The real process (the bin), optionally killed at `crashAt`. */
  keys(args: string[], crashAt?: CrashPoint): Promise<Run>;
  /** The same CLI in this process: for setting up and looking, faster than a process. */
  inProcess(args: string[], env?: Record<string, string>): Promise<Run>;
  /** Authorizer's answer for a secret sent as `ApiKey <secret>` (key cache off: every call reads the table). */
  status(secret: string): Promise<number>;
  items(): Promise<Item[]>;
  usageKeys(): Promise<Array<{ value: string; name: string; enabled: boolean }>>;
  stop(): Promise<void>;
}

async function world(): Promise<World> {
  const dynamo = await startLocalDynamoDb(LOCAL_KEY_TABLE_NAME);
  await untilActive(dynamo.client, LOCAL_KEY_TABLE_NAME);
  const harness = createHarness({ dynamo, env: { API_KEY_PREFIX: 'ptc_local_', KEY_CACHE_TTL: '0', KEY_NEGATIVE_CACHE_TTL: '0' } });
  return {
    dynamo,
    harness,
    keys: (args, crashAt) =>
      new Promise((resolve) => {
        const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DYNAMODB_PORT: String(dynamo.port) };
        if (crashAt !== undefined) env.PORTCULLIS_KEYS_CRASH_AT = crashAt;
        execFile(process.execPath, [BIN, ...args, '--local'], { cwd: ROOT, env, timeout: 20_000 }, (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
          if (crashAt !== undefined && error?.signal === 'SIGKILL') killedAt.add(crashAt);
          resolve({ code, signal: error?.signal ?? null, stdout, stderr });
        });
      }),
    inProcess: async (args, extraEnv = {}) => {
      let stdout = '';
      let stderr = '';
      const code = await runKeysCli([...args, '--local'], {
        stdout: (text) => void (stdout += text),
        stderr: (text) => void (stderr += text),
        env: { DYNAMODB_PORT: String(dynamo.port), ...extraEnv },
      });
      return { code, signal: null, stdout, stderr };
    },
    status: (secret) => gatewayStatus(harness, requestEvent({ method: 'GET', resource: '/items', authorization: `ApiKey ${secret}` })),
    items: async () => (await scanAll(dynamo.client, LOCAL_KEY_TABLE_NAME)) as Item[],
    usageKeys: async () => {
      try {
        return (await scanAll(dynamo.client, LOCAL_USAGE_KEY_TABLE)).map((item) => ({
          value: item.value!.S!,
          name: item.name!.S!,
          enabled: item.enabled!.BOOL === true,
        }));
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return [];
        throw error;
      }
    },
    stop: async () => {
      await harness.deps.apiKeys?.flush();
      await dynamo.stop();
    },
  };
}

/** Records the authorizer could accept (status active and well formed), by key id. */
function activeRecords(items: readonly Item[]) {
  return items.flatMap((item) => {
    try {
      const record = apiKeyRecordFromItem(item);
      return record.status === 'active' ? [record] : [];
    } catch {
      return [];
    }
  });
}

const intentItems = (items: readonly Item[]) => items.filter((item) => (item.keyId as { S?: string } | undefined)?.S === INTENT_PARTITION);
const secretIn = (run: Run): string | undefined => /"key": "(ptc_local_[0-9A-Za-z]+)"/.exec(run.stdout)?.[1];

/** Crash points at which a test above actually saw the process die (SIGKILL), not merely asked for. */
const killedAt = new Set<CrashPoint>();

const CREATE = ['create', '--owner', 'acme', '--scopes', 'items:read', '--plan', 'pro', '--json'];

describe('the keys process killed between its steps', () => {
  it('the hook knows exactly the crash points the tests use, and refuses an unknown one (exit 2, nothing written)', async () => {
    const w = await world();
    try {
      const run = await w.inProcess(CREATE, { PORTCULLIS_KEYS_CRASH_AT: 'create:nowhere' });
      expect(run).toMatchObject({ code: 2, stdout: '' });
      expect(run.stderr).toMatch(/^error: PORTCULLIS_KEYS_CRASH_AT: unknown crash point "create:nowhere"; points are: create:intent-written, /);
      expect(await w.items()).toEqual([]);
    } finally {
      await w.stop();
    }
  });

  describe.concurrent('create', () => {
    it.each(['create:intent-written', 'create:usage-key-created', 'create:secret-shown'] as const)(
      'killed at %s: nothing usable is left; the rerun undoes it and issues one working key with one enabled usage key',
      async (point) => {
        const w = await world();
        try {
          const crashed = await w.keys(CREATE, point);
          expect(crashed.signal).toBe('SIGKILL');
          const shown = secretIn(crashed);
          expect(shown !== undefined).toBe(point === 'create:secret-shown');

          // Half made: a pending record (and from the usage key step on, an enabled usage key), nothing usable.
          const after = await w.items();
          expect(activeRecords(after)).toEqual([]);
          expect(intentItems(after)).toHaveLength(1);
          expect(intentItems(after)[0]).toMatchObject({ status: { S: 'pending' }, intentOp: { S: 'create' } });
          if (shown !== undefined) expect(await w.status(shown)).toBe(401);
          const listed = await w.inProcess(['list', '--json']);
          expect(JSON.parse(listed.stdout)).toMatchObject({ keys: [], incomplete: [{ operation: 'create', stale: true }] });
          expect(listed.stderr).toMatch(/^warning: unfinished create of key_\w+ .* is not a key and cannot authenticate\n$/);

          // The same command again: a real process once, in this process otherwise (the crash is what must be real).
          const rerun = point === 'create:secret-shown' ? await w.keys(CREATE) : await w.inProcess(CREATE);
          expect(rerun, rerun.stderr).toMatchObject({ code: 0 });
          expect(rerun.stderr).toMatch(/^note: undid an interrupted create of key_\w+ .*: its pending record and hidden usage key are deleted\n$/);
          const secret = secretIn(rerun)!;
          expect(rerun.stdout.split(secret)).toHaveLength(2);

          const final = await w.items();
          expect(intentItems(final)).toEqual([]);
          const [record, ...others] = activeRecords(final);
          expect(others).toEqual([]);
          expect(await w.status(secret)).toBe(200);
          if (shown !== undefined) expect(await w.status(shown)).toBe(401);
          expect(await w.usageKeys()).toEqual([{ value: record!.usageIdentifierKey, name: record!.keyId, enabled: true }]);
        } finally {
          await w.stop();
        }
      },
    );

    it('killed right after its commit: the key is complete and works; the next run has nothing to undo', async () => {
      const w = await world();
      try {
        const crashed = await w.keys(CREATE, 'create:committed');
        expect(crashed.signal).toBe('SIGKILL');
        const secret = secretIn(crashed)!;
        expect(await w.status(secret)).toBe(200);
        expect(intentItems(await w.items())).toEqual([]);

        const listed = await w.inProcess(['list', '--json']);
        expect(listed.stderr).toBe('');
        expect(JSON.parse(listed.stdout)).toMatchObject({ keys: [{ status: 'active' }], incomplete: [] });
        const [record] = activeRecords(await w.items());
        expect(await w.usageKeys()).toEqual([{ value: record!.usageIdentifierKey, name: record!.keyId, enabled: true }]);
      } finally {
        await w.stop();
      }
    });

    it('a rollback killed half way is finished by the next run', async () => {
      const w = await world();
      try {
        expect((await w.keys(CREATE, 'create:usage-key-created')).signal).toBe('SIGKILL');
        // The second run dies right after claiming the intent, the third after deleting the usage key.
        expect((await w.keys(CREATE, 'reconcile:claimed')).signal).toBe('SIGKILL');
        expect(intentItems(await w.items())).toMatchObject([{ status: { S: 'abandoned' } }]);
        expect((await w.keys(CREATE, 'reconcile:usage-key-removed')).signal).toBe('SIGKILL');

        const rerun = await w.inProcess(CREATE);
        expect(rerun, rerun.stderr).toMatchObject({ code: 0 });
        const final = await w.items();
        expect(intentItems(final)).toEqual([]);
        const [record, ...others] = activeRecords(final);
        expect(others).toEqual([]);
        expect(await w.status(secretIn(rerun)!)).toBe(200);
        expect(await w.usageKeys()).toEqual([{ value: record!.usageIdentifierKey, name: record!.keyId, enabled: true }]);
      } finally {
        await w.stop();
      }
    });
  });

  describe.concurrent('rotate', () => {
    it.each([
      ['rotate:intent-written', '1h'],
      ['rotate:secret-shown', '1h'],
      ['rotate:previous-superseded', '1h'],
      ['rotate:previous-superseded', '0s'],
    ] as const)(
      'killed at %s (grace %s): the old secret stays the only current one; the rerun rotates it',
      async (point, grace) => {
        const w = await world();
        try {
          const created = await w.inProcess(CREATE);
          const original = secretIn(created)!;
          const keyId = (JSON.parse(created.stdout) as { keyId: string }).keyId;

          const crashed = await w.keys(['rotate', keyId, '--grace', grace, '--json'], point);
          expect(crashed.signal).toBe('SIGKILL');
          const shown = secretIn(crashed);
          expect(shown !== undefined).toBe(point !== 'rotate:intent-written');
          if (shown !== undefined) expect(await w.status(shown)).toBe(401);
          // With a grace of 0 a superseded secret is cut off at once: until the next run restores it.
          expect(await w.status(original)).toBe(point === 'rotate:previous-superseded' && grace === '0s' ? 401 : 200);
          const show = await w.inProcess(['show', keyId, '--json']);
          expect(JSON.parse(show.stdout)).toMatchObject({
            status: point === 'rotate:previous-superseded' && grace === '0s' ? 'expired' : 'active',
            incomplete: [{ operation: 'rotate', stale: true }],
          });
          expect(show.stdout).not.toContain(shown ?? original);

          // Any write command undoes it; here, the same rotate again.
          const rerun = await w.inProcess(['rotate', keyId, '--grace', grace, '--json']);
          expect(rerun, rerun.stderr).toMatchObject({ code: 0 });
          expect(rerun.stderr).toMatch(/^note: undid an interrupted rotate of key_\w+ .*: its previous secret is the current one\n/);
          const secret = secretIn(rerun)!;

          const final = await w.items();
          expect(intentItems(final)).toEqual([]);
          expect(await w.status(secret)).toBe(200);
          expect(await w.status(original)).toBe(grace === '0s' ? 401 : 200);
          if (shown !== undefined) expect(await w.status(shown)).toBe(401);
          const shownAfter = JSON.parse((await w.inProcess(['show', keyId, '--json'])).stdout) as { secrets: Array<{ current: boolean; state: string }>; incomplete: unknown[] };
          expect(shownAfter.incomplete).toEqual([]);
          expect(shownAfter.secrets.map((s) => [s.current, s.state])).toEqual([
            [true, 'active'],
            [false, grace === '0s' ? 'expired' : 'active'],
          ]);
          const records = activeRecords(final);
          expect(new Set(records.map((r) => r.usageIdentifierKey)).size).toBe(1);
          expect(await w.usageKeys()).toEqual([{ value: records[0]!.usageIdentifierKey, name: keyId, enabled: true }]);
        } finally {
          await w.stop();
        }
      },
    );

    it('killed right after its commit: the rotation is complete (new secret current, old one in its grace)', async () => {
      const w = await world();
      try {
        const created = await w.inProcess(CREATE);
        const keyId = (JSON.parse(created.stdout) as { keyId: string }).keyId;
        const crashed = await w.keys(['rotate', keyId, '--json'], 'rotate:committed');
        expect(crashed.signal).toBe('SIGKILL');
        expect(await w.status(secretIn(crashed)!)).toBe(200);
        expect(await w.status(secretIn(created)!)).toBe(200);
        expect(intentItems(await w.items())).toEqual([]);
      } finally {
        await w.stop();
      }
    });

    it('a revoke of a key whose rotation was killed leaves no secret usable, the printed one included', async () => {
      const w = await world();
      try {
        const created = await w.inProcess(CREATE);
        const keyId = (JSON.parse(created.stdout) as { keyId: string }).keyId;
        const crashed = await w.keys(['rotate', keyId, '--json'], 'rotate:previous-superseded');
        const revoked = await w.inProcess(['revoke', keyId]);
        expect(revoked, revoked.stderr).toMatchObject({ code: 0 });
        expect(await w.status(secretIn(created)!)).toBe(401);
        expect(await w.status(secretIn(crashed)!)).toBe(401);
        expect(intentItems(await w.items())).toEqual([]);
        expect(await w.usageKeys()).toMatchObject([{ enabled: false }]);
      } finally {
        await w.stop();
      }
    });
  });

  describe.concurrent('clients bind', () => {
    // The local mode trusts its own issuer only (ISSUER_PORT unset: 3001).
    const BIND = ['clients', 'bind', '--issuer', 'https://127.0.0.1:3001', '--client-id', 'svc-1', '--plan', 'pro', '--json'];

    it.each(['bind:intent-written', 'bind:usage-key-created', 'bind:binding-written'] as const)(
      'killed at %s: the rerun leaves one binding with one enabled usage key, and no intent',
      async (point) => {
        const w = await world();
        try {
          expect((await w.keys(BIND, point)).signal).toBe('SIGKILL');
          const rerun = await w.inProcess(BIND);
          expect(rerun, rerun.stderr).toMatchObject({ code: 0 });
          expect(JSON.parse(rerun.stdout)).toMatchObject({ outcome: point === 'bind:binding-written' ? 'unchanged' : 'created', plan: 'pro' });
          expect(rerun.stderr).toMatch(
            point === 'bind:binding-written' ? /^note: an interrupted clients bind of svc-1 .* had completed; cleared its intent\n$/ : /^note: undid an interrupted clients bind of svc-1 /,
          );

          const final = await w.items();
          expect(intentItems(final)).toEqual([]);
          expect(final).toHaveLength(1);
          const binding = clientBindingFromItem(final[0]!);
          expect(await w.usageKeys()).toEqual([{ value: binding.usageIdentifierKey, name: 'client:svc-1', enabled: true }]);
        } finally {
          await w.stop();
        }
      },
    );
  });

  it('every crash point of the hook is exercised above', () => {
    // Runs after the concurrent groups above. The list comes from the code's registry, so a step added to a command
    // (a new crash point) fails here until a test kills the process there.
    expect(CRASH_POINTS.filter((point) => !killedAt.has(point))).toEqual([]);
  });
});
