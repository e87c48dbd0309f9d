/**
 * The cold-start section. Bundles lambda/index.ts as the CDK does (esbuild, minified, no source map, platform node,
 * target node20, cjs, `@aws-sdk/*` external) and the peers' typical authorizers the same way, reports raw and
 * gzipped sizes, then times `require()` of each bundle in a fresh `node` process with its real environment against
 * an empty `node -e ""`. Runs alternate (a new random order of all variants per run); the ratio is computed per run
 * against that run's baseline, then the median is taken.
 */
import { buildSync, type BuildOptions } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { TEST_MANIFEST } from '../test/support/authorizer-harness';
import { runFirstDecision, type FirstDecisionResult } from './first-decision';
import { REPO_ROOT, progress } from './lib/child';
import { buildExtensionsNextTo, LAMBDA_BUILD_OPTIONS } from './lib/core-bundle';
import { EXTENSIONS_FILE, KEY_TABLE_FILE } from '../infra/handler-bundle';
import { median, shuffle } from './lib/stats';

export interface ColdVariant {
  readonly name: string;
  readonly bundle?: string;
  readonly bytes?: number;
  readonly gzipBytes?: number;
  readonly ms: number;
  /** Median of per-run (variant / empty node) ratios. */
  readonly ratio?: number;
  /** Median of per-run (variant / bare aws-jwt-verify authorizer) ratios: the two loads of one run, side by side. */
  readonly ratioToBare?: number;
  readonly note?: string;
}

export interface ColdStartResult {
  readonly runs: number;
  readonly variants: ColdVariant[];
  /**
   * The optional features' file (lambda/optional-features.ts), shipped next to the handler's and loaded only when a
   * setting uses them (provider presets, discovery, introspection): not loaded by the variants timed here.
   */
  readonly extensions?: { readonly bytes: number; readonly gzipBytes: number };
  /**
   * The key table's features' file (lambda/key-table-features.ts: API keys, client bindings), shipped next to the
   * handler's and loaded at cold start when KEY_TABLE_NAME is set: by the "JWT + API keys" variants here.
   */
  readonly keyTable?: { readonly bytes: number; readonly gzipBytes: number };
  /** Whether @aws-sdk/client-dynamodb was in require.cache after loading the bundle. */
  readonly sdkLoadedAtStart: { jwtOnly: boolean; full: boolean };
  /** The first decision of a fresh process, JWKS on an HTTPS server (bench/first-decision.ts). */
  readonly firstDecision: FirstDecisionResult;
}

const OUT = join(REPO_ROOT, 'bench', 'results', 'cold');
const PROD_OPTIONS: BuildOptions = { ...LAMBDA_BUILD_OPTIONS, minify: true, sourcemap: false };

function bundle(name: string, options: BuildOptions): { file: string; bytes: number; gzipBytes: number } {
  const file = join(OUT, `${name}.js`);
  buildSync({ ...PROD_OPTIONS, ...options, outfile: file });
  const bytes = statSync(file).size;
  return { file, bytes, gzipBytes: gzipSync(readFileSync(file), { level: 9 }).length };
}

function peerBundle(name: string, module: string) {
  return bundle(`peer-${name}`, {
    stdin: {
      contents: `import { createAuthorizer } from './${module}';\nimport { configFromEnv } from './common';\nexport const handler = createAuthorizer(configFromEnv(process.env)).handler;\n`,
      resolveDir: join(REPO_ROOT, 'bench', 'peers'),
      loader: 'ts',
      sourcefile: `${module}-lambda-entry.ts`,
    },
  });
}

export async function runColdStart(runs: number): Promise<ColdStartResult> {
  mkdirSync(OUT, { recursive: true });
  progress('cold: bundling');
  // An address that refuses at once and needs no DNS: both authorizers start fetching the JWKS at init, and a DNS
  // lookup pending in libuv's thread pool would hold the process's exit for tens of ms, which is not load time.
  const issuer = 'https://127.0.0.1:9/';
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'eu-west-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const portcullisEnv = {
    ...baseEnv,
    ROUTE_MANIFEST: JSON.stringify(TEST_MANIFEST),
    JWT_ISSUERS: JSON.stringify([{ issuer, audience: 'portcullis-api', jwksUri: `${issuer}.well-known/jwks.json` }]),
  };
  const peerEnv = { ...baseEnv, PEER_ISSUER: issuer, PEER_AUDIENCE: 'portcullis-api', PEER_JWKS_URI: `${issuer}.well-known/jwks.json` };
  const portcullis = bundle('portcullis', { entryPoints: [join(REPO_ROOT, 'lambda', 'index.ts')] });
  buildExtensionsNextTo(portcullis.file);
  const sizes = (file: string) => ({ bytes: statSync(file).size, gzipBytes: gzipSync(readFileSync(file), { level: 9 }).length });
  const extensions = sizes(join(OUT, EXTENSIONS_FILE));
  const keyTable = sizes(join(OUT, KEY_TABLE_FILE));
  const awsJwtVerifyAlone = bundle('aws-jwt-verify-alone', {
    stdin: { contents: "export { JwtVerifier } from 'aws-jwt-verify';\n", resolveDir: REPO_ROOT, loader: 'ts' },
  });

  interface Variant {
    name: string;
    args: string[];
    env: Record<string, string>;
    built?: { file: string; bytes: number; gzipBytes: number };
    note?: string;
  }
  // Exit right after loading: both authorizers start fetching their JWKS at init (a prefetch), which must not keep
  // the process alive; load time is what is measured.
  const req = (file: string) => ['-e', `require(${JSON.stringify(file)}); process.exit(0)`];
  const variants: Variant[] = [
    { name: 'empty node -e ""', args: ['-e', 'process.exit(0)'], env: baseEnv, note: 'baseline' },
    { name: 'portcullis, JWT only', args: req(portcullis.file), env: portcullisEnv, built: portcullis, note: 'no KEY_TABLE_NAME' },
    { name: 'portcullis, JWT + API keys', args: req(portcullis.file), env: { ...portcullisEnv, KEY_TABLE_NAME: 'portcullis-keys' }, built: portcullis, note: 'SDK loaded on the first key' },
    {
      name: 'portcullis + eager @aws-sdk/client-dynamodb',
      args: ['-e', `require('@aws-sdk/client-dynamodb'); require(${JSON.stringify(portcullis.file)}); process.exit(0)`],
      env: { ...portcullisEnv, KEY_TABLE_NAME: 'portcullis-keys' },
      built: portcullis,
      note: 'what lazy loading saves',
    },
    { name: 'aws-jwt-verify alone', args: req(awsJwtVerifyAlone.file), env: baseEnv, built: awsJwtVerifyAlone, note: 'reference' },
    // What no JWT verifier can avoid loading: node:crypto to verify, node:https to fetch the JWKS.
    { name: 'node:crypto alone', args: ['-e', "require('node:crypto')"], env: baseEnv, note: 'floor: verifying' },
    { name: 'node:crypto + node:https', args: ['-e', "require('node:crypto'); require('node:https')"], env: baseEnv, note: 'floor: verifying + JWKS fetch' },
  ];
  const peerBuilt = new Map<string, string>();
  for (const [name, module] of [
    ['aws-jwt-verify', 'aws-jwt-verify-authorizer'],
    ['fast-jwt', 'fast-jwt-authorizer'],
    ['jose', 'jose-authorizer'],
    ['jsonwebtoken+jwks-rsa', 'jsonwebtoken-authorizer'],
  ] as const) {
    const built = peerBundle(name, module);
    peerBuilt.set(name, built.file);
    variants.push({ name: `peer ${name}`, args: req(built.file), env: peerEnv, built });
  }

  // Does the JWT path load the DynamoDB client? Ask the process itself.
  const sdkProbe = (env: Record<string, string>) => {
    const script = `require(${JSON.stringify(portcullis.file)}); process.stdout.write(String(Object.keys(require.cache).some((k) => k.includes('client-dynamodb'))), () => process.exit(0))`;
    const out = spawnSync(process.execPath, ['-e', script], { env, cwd: REPO_ROOT, encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`probe failed: ${out.stderr}`);
    return out.stdout.trim() === 'true';
  };
  const sdkLoadedAtStart = { jwtOnly: sdkProbe(portcullisEnv), full: sdkProbe({ ...portcullisEnv, KEY_TABLE_NAME: 'portcullis-keys' }) };

  for (const v of variants) {
    const check = spawnSync(process.execPath, v.args, { env: v.env, cwd: REPO_ROOT, encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`${v.name} fails to load: ${check.stderr}`);
  }
  progress(`cold: ${runs} alternating runs of ${variants.length} variants`);
  const times = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  const ratios = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  const ratiosToBare = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  const bare = variants.find((v) => v.name === 'peer aws-jwt-verify')!;
  for (let run = 0; run < runs; run++) {
    const thisRun = new Map<Variant, number>();
    for (const v of shuffle([...variants])) {
      const t0 = performance.now();
      const result = spawnSync(process.execPath, v.args, { env: v.env, cwd: REPO_ROOT, stdio: 'ignore' });
      const ms = performance.now() - t0;
      if (result.status !== 0) throw new Error(`${v.name} failed`);
      thisRun.set(v, ms);
      times.get(v)!.push(ms);
    }
    const baseline = thisRun.get(variants[0]!)!;
    for (const v of variants) ratios.get(v)!.push(thisRun.get(v)! / baseline);
    for (const v of variants) ratiosToBare.get(v)!.push(thisRun.get(v)! / thisRun.get(bare)!);
  }
  const firstDecision = await runFirstDecision({ portcullis: portcullis.file, peerAwsJwtVerify: peerBuilt.get('aws-jwt-verify')! }, runs);
  return {
    runs,
    extensions,
    keyTable,
    sdkLoadedAtStart,
    firstDecision,
    variants: variants.map((v) => ({
      name: v.name,
      bundle: v.built?.file.replace(`${REPO_ROOT}/`, ''),
      bytes: v.built?.bytes,
      gzipBytes: v.built?.gzipBytes,
      ms: median(times.get(v)!),
      ratio: v === variants[0] ? undefined : median(ratios.get(v)!),
      ratioToBare: v.name.startsWith('portcullis') ? median(ratiosToBare.get(v)!) : undefined,
      note: v.note,
    })),
  };
}
