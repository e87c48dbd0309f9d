/**
 * The authorizer function's code: the handler bundle plus its configuration file, staged as one content-hashed asset
 * (`Code.fromAsset`-style, no bundling on the consumer's side). A changed route or issuer changes the file, so its
 * name, the asset hash and the function.
 *
 * Where the handler comes from is decided by the layout, never by a flag:
 * - the package ships a prebuilt bundle next to its compiled construct (`dist/infra/` -> `dist/handler/index.js`);
 * - this repository has no such folder next to `infra/`, and builds `lambda/index.ts` with esbuild instead.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Lazy } from 'aws-cdk-lib/core';
import type * as cdk from 'aws-cdk-lib/core';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { bundleHandler, HANDLER_FILE, HANDLER_FILES } from './handler-bundle';

export type HandlerSource =
  | { readonly kind: 'prebuilt'; readonly dir: string }
  | { readonly kind: 'source'; readonly entry: string };

/** The folder of the prebuilt handler, relative to the compiled construct's folder. */
export const PREBUILT_HANDLER_DIR = path.join('..', 'handler');

/** Where the handler comes from, seen from the construct's folder (`infraDir`). */
export function locateHandler(infraDir: string = __dirname): HandlerSource {
  const prebuilt = path.resolve(infraDir, PREBUILT_HANDLER_DIR);
  if (existsSync(path.join(prebuilt, HANDLER_FILE))) return { kind: 'prebuilt', dir: prebuilt };
  const entry = path.resolve(infraDir, '..', 'lambda', 'index.ts');
  if (existsSync(entry)) return { kind: 'source', entry };
  throw new Error(
    `PortcullisAuthorizer: the prebuilt authorizer handler is missing (${path.join(prebuilt, HANDLER_FILE)}): reinstall the package`,
  );
}

/** What a stack synthesized with bundling skipped (`cdk synth OtherStack`, unit tests) ships instead of the bundle. */
const UNBUNDLED_STUB =
  "exports.handler = async () => { throw new Error('Portcullis: this stack was synthesized with bundling skipped; deploy it with bundling'); };\n";

export interface StagedFile {
  readonly name: string;
  readonly content: string;
}

/**
 * Writes the function's code into `dir`: the handler (copied, bundled, or a stub when bundling is skipped for this
 * stack and the handler would need building) and the configuration file.
 */
export function writeFunctionCode(dir: string, handler: HandlerSource, bundlingRequired: boolean, files: readonly StagedFile[]): void {
  if (handler.kind === 'prebuilt') {
    for (const file of HANDLER_FILES.flatMap((name) => [name, `${name}.map`])) {
      if (existsSync(path.join(handler.dir, file))) copyFileSync(path.join(handler.dir, file), path.join(dir, file));
    }
  } else if (bundlingRequired) {
    bundleHandler(handler.entry, dir);
  } else {
    writeFileSync(path.join(dir, HANDLER_FILE), UNBUNDLED_STUB);
  }
  for (const file of files) writeFileSync(path.join(dir, file.name), file.content);
}

/**
 * Lambda code whose asset is created later, once every route is known: `bind` hands the function lazy S3 coordinates,
 * and {@link stage} creates the asset before synthesis.
 */
export class DeferredAssetCode extends lambda.Code {
  public readonly isInline = false;
  private asset?: s3assets.Asset;

  public bind(_scope: Construct): lambda.CodeConfig {
    return {
      s3Location: {
        bucketName: Lazy.string({ produce: () => this.stagedAsset().s3BucketName }),
        objectKey: Lazy.string({ produce: () => this.stagedAsset().s3ObjectKey }),
      },
    };
  }

  public get isStaged(): boolean {
    return this.asset !== undefined;
  }

  /** Writes the code into a scratch folder, stages it as an asset under `scope`, and removes the scratch folder. */
  public stage(scope: Construct, id: string, write: (dir: string) => void, resource: cdk.CfnResource): s3assets.Asset {
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-code-'));
    let keepScratch = false;
    try {
      write(dir);
      this.asset = new s3assets.Asset(scope, id, { path: dir });
      this.asset.addResourceMetadata(resource, 'Code');
      // With asset staging disabled (SAM), the template points at the scratch folder itself: keep it.
      keepScratch = path.resolve(this.asset.assetPath) === path.resolve(dir);
    } finally {
      if (!keepScratch) rmSync(dir, { recursive: true, force: true });
    }
    return this.asset;
  }

  private stagedAsset(): s3assets.Asset {
    if (this.asset === undefined) throw new Error('PortcullisAuthorizer: the function code was not staged before synthesis');
    return this.asset;
  }
}
