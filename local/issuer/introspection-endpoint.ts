/**
 * `POST /oauth2/introspect` (RFC 7662): tells a resource server whether a token is active. The caller must
 * authenticate as a confidential dev client (section 2.1: "the endpoint MUST also require some form of
 * authorization"). Opaque tokens are looked up in the grant store; the issuer's own JWT access tokens are verified
 * (signature, issuer, expiry). Anything else, expired or revoked is `{"active": false}` and nothing more
 * (section 2.2: no hint why).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPublicClient, type DevClient } from '../dev-clients';
import type { SigningKey } from '../jwt-signer';
import type { GrantStore } from './grant-store';
import { authenticateClient, NO_STORE, oauthError, readForm, sendJson } from './http';

export interface IntrospectionEndpointOptions {
  readonly signingKey: SigningKey;
  readonly clients: readonly DevClient[];
  readonly store: GrantStore;
  readonly issuer: () => string;
}

const HASH: Record<string, string | null> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512', EdDSA: null };

/** The claims of one of this issuer's JWTs, when its signature verifies with the issuer's key; else undefined. */
function verifiedClaims(token: string, key: SigningKey, publicKey: KeyObject): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (header.alg !== key.alg || header.kid !== key.kid) return undefined;
    const ok = verify(
      HASH[key.alg] ?? null,
      Buffer.from(`${parts[0]}.${parts[1]}`),
      { key: publicKey, ...(key.alg.startsWith('ES') ? { dsaEncoding: 'ieee-p1363' as const } : {}) },
      Buffer.from(parts[2]!, 'base64url'),
    );
    if (!ok) return undefined;
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export class IntrospectionEndpoint {
  private readonly publicKey: KeyObject;

  constructor(private readonly options: IntrospectionEndpointOptions) {
    this.publicKey = createPublicKey(options.signingKey.privateKey);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      sendJson(res, 405, { error: 'invalid_request', error_description: 'The introspection endpoint accepts POST only' });
      return;
    }
    const read = await readForm(req);
    if (!read.ok) {
      oauthError(res, 'invalid_request', read.description);
      return;
    }
    const authenticated = authenticateClient(req, read.form, this.options.clients);
    if (!authenticated.ok || isPublicClient(authenticated.client)) {
      const viaBasic = authenticated.viaBasic;
      oauthError(res, 'invalid_client', authenticated.ok ? 'A public client may not introspect tokens' : authenticated.description, viaBasic || !authenticated.ok);
      return;
    }
    const token = read.form.get('token');
    if (!token) {
      oauthError(res, 'invalid_request', 'token is required');
      return;
    }
    sendJson(res, 200, this.introspect(token), { ...NO_STORE });
  }

  private introspect(token: string): Record<string, unknown> {
    const opaque = this.options.store.activeOpaqueToken(token);
    if (opaque !== undefined) {
      return {
        active: true,
        scope: opaque.scopes.join(' '),
        client_id: opaque.clientId,
        sub: opaque.sub,
        aud: opaque.audience,
        iss: this.options.issuer(),
        exp: opaque.expiresAt,
        iat: opaque.issuedAt,
        jti: opaque.jti,
        token_type: 'Bearer',
      };
    }
    const claims = verifiedClaims(token, this.options.signingKey, this.publicKey);
    const now = Math.floor(Date.now() / 1000);
    // Access tokens only: an ID token (no client_id) is not a credential for an API.
    if (claims === undefined || claims.iss !== this.options.issuer() || typeof claims.client_id !== 'string') return { active: false };
    if (typeof claims.exp !== 'number' || claims.exp <= now) return { active: false };
    const answer: Record<string, unknown> = { active: true, token_type: 'Bearer' };
    for (const name of ['scope', 'client_id', 'sub', 'aud', 'iss', 'exp', 'iat', 'nbf', 'jti']) if (claims[name] !== undefined) answer[name] = claims[name];
    return answer;
  }
}
