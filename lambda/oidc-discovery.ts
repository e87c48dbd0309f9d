/**
 * OIDC Discovery 1.0 / RFC 8414 metadata: an issuer given by its URL alone gets its `jwks_uri` from
 * `.well-known/openid-configuration` (or `oauth-authorization-server`). The document is fetched by the JWKS fetcher
 * (https only, timed, size-capped) and must name exactly the configured issuer (OIDC Discovery 4.3, RFC 8414 3.3):
 * otherwise one issuer's metadata could point us at another's keys. Used at run time (first JWKS need, then kept for
 * the container's life) and by `portcullis issuers add`, which writes the result into the configuration.
 */
import { DependencyFaultError } from './errors';
import type { JwksDocumentFetcher } from './jwks-fetcher';

export interface IssuerMetadata {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly introspectionEndpoint?: string;
  /** `tls_client_certificate_bound_access_tokens` (RFC 8705 section 3.3). */
  readonly certificateBoundAccessTokens: boolean;
  readonly accessTokenSigningAlgorithms?: readonly string[];
}

const fault = (message: string) => new DependencyFaultError('jwks_unavailable', message);

function httpsOrUndefined(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value).protocol === 'https:' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a metadata document and checks it belongs to `expectedIssuer`; throws a fault explaining what is wrong. */
export function parseIssuerMetadata(body: Buffer, expectedIssuer: string): IssuerMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body), (key, value: unknown) =>
      key === '__proto__' || key === 'constructor' ? undefined : value,
    );
  } catch {
    throw fault('Issuer metadata is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw fault('Issuer metadata is not a JSON object');
  const metadata = parsed as Record<string, unknown>;
  if (metadata.issuer !== expectedIssuer) {
    throw fault(`Issuer metadata names issuer ${JSON.stringify(metadata.issuer)}, not the configured ${JSON.stringify(expectedIssuer)}`);
  }
  const jwksUri = httpsOrUndefined(metadata.jwks_uri);
  if (jwksUri === undefined) throw fault('Issuer metadata has no https jwks_uri');
  const algorithms = metadata.id_token_signing_alg_values_supported;
  return {
    issuer: expectedIssuer,
    jwksUri,
    introspectionEndpoint: httpsOrUndefined(metadata.introspection_endpoint),
    certificateBoundAccessTokens: metadata.tls_client_certificate_bound_access_tokens === true,
    accessTokenSigningAlgorithms: Array.isArray(algorithms) ? algorithms.filter((alg): alg is string => typeof alg === 'string') : undefined,
  };
}

/**
 * A JWKS fetcher that, for the metadata URLs in `documents` (metadata URL -> issuer), fetches the metadata first and
 * then the `jwks_uri` it names. The resolved URI is kept; a failed discovery is retried on the next fetch (which the
 * JWKS cache rate-limits), never remembered.
 */
export function withDiscovery(fetchDocument: JwksDocumentFetcher, documents: ReadonlyMap<string, string>): JwksDocumentFetcher {
  if (documents.size === 0) return fetchDocument;
  const resolved = new Map<string, string>();
  return async (uri) => {
    const issuer = documents.get(uri);
    if (issuer === undefined) return fetchDocument(uri);
    let jwksUri = resolved.get(uri);
    if (jwksUri === undefined) {
      jwksUri = parseIssuerMetadata(await fetchDocument(uri), issuer).jwksUri;
      resolved.set(uri, jwksUri);
    }
    return fetchDocument(jwksUri);
  };
}
