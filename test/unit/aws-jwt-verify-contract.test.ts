/**
 * The behaviours of aws-jwt-verify that lambda/ mirrors instead of calling (see the comment block at the top of
 * lambda/jwt-authenticator.ts and docs/jwks.md), held equal to the installed library. If an upgrade changes one of
 * them, this file fails and names it. (The decomposition and the signature primitive have their own, larger tests:
 * test/security/jws-decomposition.test.ts and test/security/wycheproof.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CognitoJwtVerifier, validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import { describe, expect, it } from 'vitest';
import { parseIssuers } from '../../lambda/config';
import { acceptedIssuers, cognitoClaimsAccepted } from '../../lambda/jwt-authenticator';

const ROOT = join(__dirname, '../..');

describe('aws-jwt-verify: the version', () => {
  it('is pinned exactly, and the installed copy is that version', () => {
    // A devDependency since the handler ships prebuilt (the package bundles it); pinned all the same.
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const pinned = manifest.dependencies?.['aws-jwt-verify'] ?? manifest.devDependencies?.['aws-jwt-verify'];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    const installed = JSON.parse(readFileSync(join(ROOT, 'node_modules/aws-jwt-verify/package.json'), 'utf8')).version;
    expect(installed).toBe(pinned);
  });
});

describe('aws-jwt-verify: Cognito issuer forms (CognitoJwtVerifier.parseUserPoolId)', () => {
  it.each(['eu-west-1_Sample01', 'us-east-1_abcDEF123', 'us-gov-west-1_X1', 'ap-southeast-2_zz9'])(
    'the issuers accepted for pool %s are the library\'s regional and global forms',
    (pool) => {
      const [config] = parseIssuers([{ cognitoUserPoolId: pool, clientIds: null }]);
      const library = [CognitoJwtVerifier.parseUserPoolId(pool).issuer, CognitoJwtVerifier.parseUserPoolId(pool, 'https://issuer-cognito-idp').issuer];
      expect(acceptedIssuers(config!)).toEqual(library);
    },
  );
});

describe('aws-jwt-verify: Cognito token_use and client id checks (validateCognitoJwtFields)', () => {
  const payloads: Array<Record<string, unknown>> = [];
  for (const token_use of ['access', 'id', 'refresh', '', 1, undefined, ['access']]) {
    for (const client_id of ['app', 'other', undefined, 7, ['app']]) {
      for (const aud of ['app', 'other', undefined, ['app']]) payloads.push({ token_use, client_id, aud });
    }
  }
  const options: Array<{ tokenUse: 'access' | 'id'; clientIds: string[] | null }> = [
    { tokenUse: 'access', clientIds: ['app'] },
    { tokenUse: 'access', clientIds: ['x', 'app'] },
    { tokenUse: 'access', clientIds: null },
    { tokenUse: 'id', clientIds: ['app'] },
    { tokenUse: 'id', clientIds: null },
  ];

  it(`accepts exactly what the library accepts (${payloads.length} payloads x ${options.length} configurations)`, () => {
    const disagreements: string[] = [];
    for (const payload of payloads) {
      for (const { tokenUse, clientIds } of options) {
        let library = true;
        try {
          validateCognitoJwtFields(payload as never, { tokenUse, clientId: clientIds, groups: undefined });
        } catch {
          library = false;
        }
        if (cognitoClaimsAccepted(payload, tokenUse, clientIds) !== library) {
          disagreements.push(`${JSON.stringify(payload)} ${tokenUse} ${JSON.stringify(clientIds)}: library ${library}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
  });
});
