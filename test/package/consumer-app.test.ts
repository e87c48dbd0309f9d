/**
 * The package as a consumer receives it: `npm pack` (prepack builds it), the tarball installed offline into a fresh
 * TypeScript CDK app compiled with `tsc` (`moduleResolution node16`, so `exports` is honoured), the "Use Portcullis in
 * your CDK app" snippet taken from the README (docs/cdk-app.md until the README carries it) synthesized in that app,
 * with cdk-nag's AwsSolutions pack. Peers (aws-cdk-lib, constructs) and cdk-nag are linked from this repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambda/config';
import { installedBinTests } from './installed-bin';
import { cdkAppSnippet } from './readme-snippet';

const ROOT = join(__dirname, '../..');
/** cfn-lint is on the CI image (.ci/run installs it when missing); without it, that one check is skipped. */
const HAS_CFN_LINT = (() => {
  try {
    execFileSync('cfn-lint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const HEADING = 'Use Portcullis in your CDK app';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The harness around the snippet: synthesizes its stack, runs cdk-nag, reports findings on Portcullis' resources. */
function harness(stackClass: string): string {
  return `import { App } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PortcullisAuthorizer } from 'portcullis-authorizer';
import { ${stackClass} } from './snippet';

const app = new App({ outdir: process.argv[2] });
const stack = new ${stackClass}(app, 'Consumer');
app.synth();
const report = new AwsSolutionsChecks(stack).validateScope(stack);
const all = stack.node.findAll();
// Portcullis' resources: everything under the construct, and the methods protect() made (CUSTOM authorization).
const owned = [
  ...all.filter((c) => c instanceof PortcullisAuthorizer).map((c) => c.node.path),
  ...all
    .filter((c): c is apigateway.Method => c instanceof apigateway.Method)
    .filter((m) => (m.node.defaultChild as apigateway.CfnMethod).authorizationType === 'CUSTOM')
    .map((m) => m.node.path),
];
const findings = report.violations.flatMap((v) =>
  v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? r.resourceLogicalId ?? '' })),
);
const isOwned = (path: string) => owned.some((prefix) => path === prefix || path.startsWith(prefix + '/'));
process.stdout.write(JSON.stringify({
  ownedConstructs: owned.length,
  ownedFindings: findings.filter((f) => isOwned(f.path)),
  otherFindings: findings.filter((f) => !isOwned(f.path)).length,
}));
`;
}

describe('the packed package in a fresh TypeScript CDK app', () => {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-consumer-'));
  const app = join(work, 'app');
  const outdir = join(work, 'cdk.out');
  const distExisted = existsSync(join(ROOT, 'dist'));
  let tarball: string;
  let report: { ownedConstructs: number; ownedFindings: { rule: string; path: string }[]; otherFindings: number };
  let resources: Record<string, Resource>;

  const run = (command: string, args: string[], cwd: string) =>
    execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });

  beforeAll(() => {
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT)) as { filename: string }[];
    tarball = join(work, packed[0]!.filename);

    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'node16',
          moduleResolution: 'node16',
          strict: true,
          skipLibCheck: true,
          types: ['node'],
          outDir: 'dist',
          rootDir: 'src',
        },
        include: ['src'],
      }),
    );
    const snippet = cdkAppSnippet(ROOT, HEADING);
    const stackClass = /export class (\w+) extends Stack/.exec(snippet)?.[1];
    if (stackClass === undefined) throw new Error(`the "${HEADING}" snippet exports no Stack class`);
    writeFileSync(join(app, 'src', 'snippet.ts'), snippet);
    writeFileSync(join(app, 'src', 'main.ts'), harness(stackClass));

    // Its one runtime dependency (yaml) comes from the npm cache, or the registry when the cache lacks its metadata (a
    // fresh CI machine after npm ci has the tarball but not the packument); peers are linked after npm has written
    // node_modules.
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', '--no-package-lock', tarball], app);
    for (const name of ['aws-cdk-lib', 'constructs', 'cdk-nag', '@types/node']) {
      mkdirSync(dirname(join(app, 'node_modules', name)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), join(app, 'node_modules', name), 'dir');
    }
    run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app], app);
    report = JSON.parse(run(process.execPath, [join(app, 'dist', 'main.js'), outdir], app)) as typeof report;
    resources = (JSON.parse(readFileSync(join(outdir, 'Consumer.template.json'), 'utf8')) as { Resources: Record<string, Resource> }).Resources;
  }, 300_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    if (!distExisted) rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
  });

  it('ships only what a consumer runs: the compiled construct, the prebuilt handler and the CLI', () => {
    const files = run('tar', ['tzf', tarball], work).trim().split('\n');
    expect(files.filter((file) => !/^package\/(dist\/(infra|lambda|handler|cli)\/|package\.json$|README\.md$|docs\/cdk-app\.md$)/.test(file))).toEqual([]);
    expect(files).toContain('package/dist/handler/index.js');
    expect(files).toContain('package/dist/handler/extensions.js');
    expect(files).toContain('package/dist/handler/key-table.js');
    expect(files).toContain('package/dist/infra/index.d.ts');
    expect(files.some((file) => /\.ts$/.test(file) && !file.endsWith('.d.ts'))).toBe(false);
    expect(files.filter((file) => /(^|\/)(test|tests|bench|fixtures|testdata|\.local)\//.test(file))).toEqual([]);
    // The local mode's data (dev clients) is inlined in the bin, not read from beside it.
    expect(files.filter((file) => file.endsWith('.json') && file !== 'package/package.json')).toEqual([]);
  });

  it('synthesizes the snippet: a REQUEST authorizer on Authorization, and its invoke permission', () => {
    const authorizers = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Authorizer');
    expect(authorizers).toEqual([
      expect.objectContaining({ Properties: expect.objectContaining({ Type: 'REQUEST', IdentitySource: 'method.request.header.Authorization' }) }),
    ]);
    const permissions = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Lambda::Permission' && JSON.stringify(r.Properties.SourceArn).includes('/authorizers/'),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]!.Properties.Principal).toBe('apigateway.amazonaws.com');
  });

  it('deploys the handler shipped in the package, with a configuration file the function loads', () => {
    const fn = Object.values(resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && 'CONFIG_FILE' in ((r.Properties.Environment as { Variables?: object } | undefined)?.Variables ?? {}),
    )!;
    const assetDir = join(outdir, `asset.${String((fn.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '')}`);
    // The handler and the files it requires when the configuration uses them, each as shipped.
    for (const file of ['index.js', 'key-table.js', 'extensions.js']) {
      const shipped = readFileSync(join(app, 'node_modules/portcullis-authorizer/dist/handler', file));
      expect(readFileSync(join(assetDir, file)).equals(shipped), file).toBe(true);
    }
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const env = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : `deployed-${name}`]));
    const config = loadConfig(env, { configDir: assetDir });
    expect(config.manifest.find('GET', '/orders')?.metered).toBe(true);
    expect(config.manifest.find('POST', '/orders')?.requirement).toEqual([['orders:write'], ['orders:admin']]);
    expect(config.issuers.map((issuer) => issuer.issuer)).toEqual(['https://login.example.com/']);
  });

  it("leaves cdk-nag AwsSolutions no finding on the construct's resources (the app's own resources are checked too)", () => {
    expect(report.ownedConstructs).toBeGreaterThan(1); // the construct and its methods were found
    expect(report.otherFindings).toBeGreaterThan(0); // cdk-nag ran: the snippet's own API has findings of its own
    expect(report.ownedFindings).toEqual([]);
  });

  it.skipIf(!HAS_CFN_LINT)("passes cfn-lint with 0 errors (warnings, such as CDK's own W3005, allowed)", () => {
    // Exit code 0 with --non-zero-exit-code error: no error-level finding.
    expect(() => run('cfn-lint', ['--non-zero-exit-code', 'error', '--', join(outdir, 'Consumer.template.json')], work)).not.toThrow();
  });

  it('installs the portcullis bin, whose help names the installed command', () => {
    const help = run(join(app, 'node_modules/.bin/portcullis'), ['keys', '--help'], app);
    expect(help).toMatch(/^Usage: portcullis keys <command>/);
    expect(help.includes('npm run keys')).toBe(false);
  });

  installedBinTests(() => ({ root: ROOT, app }));
});
