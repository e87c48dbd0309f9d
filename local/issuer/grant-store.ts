/**
 * What the local issuer remembers about what it issued, in memory (a restart forgets it, as a dev issuer may):
 *
 * - authorization codes: single use, 60 s, bound to the client, redirect URI and PKCE challenge;
 * - refresh tokens, in families: each use rotates the token, and presenting a used one again revokes its whole
 *   family, with the opaque access tokens issued from it (OAuth 2.0 Security BCP, RFC 9700 section 4.14.2);
 * - opaque access tokens, for introspection.
 *
 * Tokens are kept only as their SHA-256. Every map is bounded: expired entries go first, then the oldest.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { tokenHash } from './http';

/** RFC 6749 section 4.1.2 recommends at most 10 minutes; one is plenty locally. */
export const AUTHORIZATION_CODE_TTL_SECONDS = 60;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 86_400;
const MAX_ENTRIES = 10_000;

/** Who a grant is for and what it allows: the same for a code, the refresh family it starts and its access tokens. */
export interface GrantSubject {
  readonly clientId: string;
  readonly sub: string;
  readonly scopes: readonly string[];
}

export interface AuthorizationCodeGrant extends GrantSubject {
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly nonce?: string;
  readonly authTime: number;
  readonly expiresAt: number;
}

export interface RefreshGrant extends GrantSubject {
  readonly familyId: string;
  readonly authTime: number;
  readonly expiresAt: number;
}

export interface OpaqueTokenRecord extends GrantSubject {
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly audience: string;
  readonly jti: string;
  readonly familyId?: string;
}

export type RefreshOutcome =
  | { readonly kind: 'ok'; readonly grant: RefreshGrant }
  | { readonly kind: 'unknown' | 'expired' | 'revoked' | 'reused' | 'wrong_client' };

interface StoredRefresh {
  readonly grant: RefreshGrant;
  used: boolean;
}

function bounded<K, V extends { expiresAt: number } | { grant: { expiresAt: number } }>(map: Map<K, V>, now: number): void {
  if (map.size < MAX_ENTRIES) return;
  for (const [key, value] of map) {
    const expiresAt = 'grant' in value ? value.grant.expiresAt : value.expiresAt;
    if (expiresAt <= now) map.delete(key);
  }
  while (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as K);
}

/** A random token with a recognisable prefix (never three dot-separated segments, so never taken for a JWS). */
export function randomToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export class GrantStore {
  private readonly codes = new Map<string, AuthorizationCodeGrant & { used: boolean; familyId: string }>();
  private readonly refreshTokens = new Map<string, StoredRefresh>();
  private readonly revokedFamilies = new Set<string>();
  private readonly opaqueTokens = new Map<string, OpaqueTokenRecord>();

  constructor(private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000)) {}

  issueCode(grant: Omit<AuthorizationCodeGrant, 'expiresAt'>): string {
    const now = this.nowSeconds();
    bounded(this.codes, now);
    const code = randomToken('ptcc');
    this.codes.set(tokenHash(code), { ...grant, expiresAt: now + AUTHORIZATION_CODE_TTL_SECONDS, used: false, familyId: randomUUID() });
    return code;
  }

  /**
   * Redeems a code once. A second redemption is refused and revokes what the first one issued
   * (RFC 6749 section 4.1.2: "SHOULD revoke (when possible) all tokens previously issued based on that code").
   */
  redeemCode(code: string): { kind: 'ok'; grant: AuthorizationCodeGrant; familyId: string } | { kind: 'unknown' | 'expired' | 'reused' } {
    const stored = this.codes.get(tokenHash(code));
    if (stored === undefined) return { kind: 'unknown' };
    if (stored.used) {
      this.revokeFamily(stored.familyId);
      return { kind: 'reused' };
    }
    stored.used = true;
    if (stored.expiresAt <= this.nowSeconds()) return { kind: 'expired' };
    const { used: _used, familyId, ...grant } = stored;
    return { kind: 'ok', grant, familyId };
  }

  issueRefreshToken(grant: Omit<RefreshGrant, 'expiresAt'>): string {
    const now = this.nowSeconds();
    bounded(this.refreshTokens, now);
    const token = randomToken('ptcr');
    this.refreshTokens.set(tokenHash(token), { grant: { ...grant, expiresAt: now + REFRESH_TOKEN_TTL_SECONDS }, used: false });
    return token;
  }

  /** Takes a refresh token for rotation: it can be used once; reuse revokes its family. */
  useRefreshToken(token: string, clientId: string): RefreshOutcome {
    const stored = this.refreshTokens.get(tokenHash(token));
    if (stored === undefined) return { kind: 'unknown' };
    const { grant } = stored;
    // A token presented by another client is not consumed (RFC 6749 section 10.4: bound to the client).
    if (grant.clientId !== clientId) return { kind: 'wrong_client' };
    if (this.revokedFamilies.has(grant.familyId)) return { kind: 'revoked' };
    if (stored.used) {
      this.revokeFamily(grant.familyId);
      return { kind: 'reused' };
    }
    if (grant.expiresAt <= this.nowSeconds()) return { kind: 'expired' };
    stored.used = true;
    return { kind: 'ok', grant };
  }

  revokeFamily(familyId: string): void {
    this.revokedFamilies.add(familyId);
    if (this.revokedFamilies.size > MAX_ENTRIES) this.revokedFamilies.delete(this.revokedFamilies.values().next().value as string);
  }

  isFamilyRevoked(familyId: string): boolean {
    return this.revokedFamilies.has(familyId);
  }

  issueOpaqueToken(record: OpaqueTokenRecord): string {
    bounded(this.opaqueTokens, this.nowSeconds());
    const token = randomToken('ptco');
    this.opaqueTokens.set(tokenHash(token), record);
    return token;
  }

  /** The record of an opaque token still active (issued here, not expired, its family not revoked). */
  activeOpaqueToken(token: string): OpaqueTokenRecord | undefined {
    const record = this.opaqueTokens.get(tokenHash(token));
    if (record === undefined || record.expiresAt <= this.nowSeconds()) return undefined;
    if (record.familyId !== undefined && this.revokedFamilies.has(record.familyId)) return undefined;
    return record;
  }
}
