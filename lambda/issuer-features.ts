/**
 * Builds the issuer features that need collaborators of their own, once per container: discovery (a JWKS fetcher that
 * resolves `jwks_uri` from issuer metadata) and introspection of opaque tokens (client secret from Secrets Manager,
 * a bounded HTTPS form POST). create-handler.ts wires them in; tests replace the secret reader only.
 */
import { readClientSecretFromSecretsManager, type SecretReader } from './client-secret';
import type { AuthorizerConfig } from './config';
import { createFormPoster } from './https-form-post';
import { TokenIntrospector } from './introspection';
import type { JwksDocumentFetcher } from './jwks-fetcher';
import { withDiscovery } from './oidc-discovery';

export interface IssuerFeatureOverrides {
  /** Defaults to GetSecretValue through the AWS SDK. */
  readonly readSecret?: SecretReader;
}

export interface IssuerFeatures {
  readonly withDiscovery: (fetchDocument: JwksDocumentFetcher) => JwksDocumentFetcher;
  readonly introspection?: TokenIntrospector;
}

export function createIssuerFeatures(config: AuthorizerConfig, nowMs: () => number, overrides: IssuerFeatureOverrides = {}): IssuerFeatures {
  // Metadata URL (the issuer's configured jwksUri under discovery) -> the issuer the document must name.
  const documents = new Map(config.issuers.filter((issuer) => issuer.discovery !== undefined).map((issuer) => [issuer.jwksUri, issuer.issuer]));
  const introspecting = config.issuers.find((issuer) => issuer.introspection !== undefined);
  const introspection =
    introspecting?.introspection === undefined
      ? undefined
      : new TokenIntrospector({
          issuer: { ...introspecting, introspection: introspecting.introspection },
          post: createFormPoster({
            timeoutMs: introspecting.introspection.timeoutMs,
            maxBytes: introspecting.introspection.maxBytes,
            extraCa: config.jwksExtraCa,
          }),
          readSecret: overrides.readSecret ?? readClientSecretFromSecretsManager,
          clockSkewSeconds: config.clockSkewSeconds,
          cacheMaxEntries: config.verifiedTokenCacheMaxEntries,
          nowMs,
        });
  return { withDiscovery: (fetchDocument) => withDiscovery(fetchDocument, documents), introspection };
}
