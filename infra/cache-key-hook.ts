/**
 * The construct's side of the cache key (infra/cache-key.ts): the key is final only at synth, once every route is
 * protected, so the authorizer's identity sources and the function's CACHE_KEY_MODE are lazy values, and the choice is
 * reported as synth info.
 */
import { Annotations, Lazy } from 'aws-cdk-lib/core';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type { Construct } from 'constructs';
import type { RouteManifest } from '../lambda/route-manifest';
import {
  CACHE_KEY_SETTINGS,
  describeCacheKey,
  identitySourceProblems,
  identitySourcesFor,
  isCacheKeySetting,
  resolveCacheKey,
  type CacheKeySetting,
  type ResolvedCacheKey,
} from './cache-key';

export type { CacheKeySetting, ResolvedCacheKey } from './cache-key';

export class CacheKeyHook {
  private readonly setting: CacheKeySetting;
  private readonly attached = new Set<apigateway.RequestAuthorizer>();

  constructor(
    setting: unknown,
    /** Identity sources given by hand (used as given), or undefined (derived from the key). */
    private readonly explicitSources: readonly string[] | undefined,
    private readonly cachingOn: boolean,
    private readonly manifest: () => RouteManifest,
  ) {
    if (setting !== undefined && !isCacheKeySetting(setting)) {
      throw new Error(`cacheKey: must be one of ${CACHE_KEY_SETTINGS.join(', ')}, got ${JSON.stringify(setting)}`);
    }
    this.setting = setting ?? 'auto';
  }

  resolve(): ResolvedCacheKey {
    return resolveCacheKey(this.setting, this.manifest());
  }

  sources(): string[] {
    return this.explicitSources !== undefined ? [...this.explicitSources] : identitySourcesFor(this.resolve().mode);
  }

  modeToken(): string {
    return Lazy.string({ produce: () => this.resolve().mode });
  }

  identitySourceToken(): string {
    return Lazy.string({ produce: () => this.sources().join(',') });
  }

  /** Points a RequestAuthorizer's identity sources at the key (CDK fixes them when the authorizer is created). */
  attach(authorizer: apigateway.RequestAuthorizer): void {
    if (this.attached.has(authorizer)) return;
    this.attached.add(authorizer);
    (authorizer.node.defaultChild as apigateway.CfnAuthorizer).identitySource = this.identitySourceToken();
  }

  /** At synth: says which key and why, warns on a forced identity key the manifest cannot use, returns errors. */
  report(scope: Construct): string[] {
    const resolved = this.resolve();
    Annotations.of(scope).addInfo(describeCacheKey(resolved));
    if (resolved.mode === 'identity' && resolved.recommended.mode === 'route') {
      Annotations.of(scope).addWarningV2('portcullis:identity-cache-key-forced', `cacheKey 'identity' is forced: ${resolved.reason}`);
    }
    return identitySourceProblems(resolved.mode, this.sources(), this.cachingOn);
  }
}
