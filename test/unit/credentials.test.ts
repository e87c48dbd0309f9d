import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorizationValues, extractCredential, MAX_AUTHORIZATION_LENGTH } from '../../lambda/credentials';
import { CredentialRejectedError } from '../../lambda/errors';
import { checkProperty } from '../support/property-run';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof CredentialRejectedError) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('extractCredential', () => {
  describe('happy flow', () => {
    it('reads a Bearer token, scheme case-insensitive', () => {
      expect(extractCredential({ Authorization: 'bEaReR abc.def.ghi' }, undefined)).toEqual({ kind: 'jwt', token: 'abc.def.ghi' });
    });

    it('marks a plain Bearer token as proven base64url text, and no other', () => {
      expect(extractCredential({ Authorization: 'Bearer eyJh.eyJz.c2ln' }, undefined)).toEqual({ kind: 'jwt', token: 'eyJh.eyJz.c2ln', base64urlText: true });
      // Outside the base64url alphabet, or spelled unusually: the JWT layer must still check every character.
      for (const value of ['Bearer a+b.c/d.e=', 'bearer abc.def.ghi', 'Bearer  abc.def.ghi', ' Bearer abc.def.ghi ', 'Bearer a~b.c.d']) {
        const credential = extractCredential({ Authorization: value }, undefined);
        expect(credential.kind === 'jwt' && credential.base64urlText).toBeFalsy();
      }
    });

    it('reads an ApiKey credential', () => {
      expect(extractCredential({ authorization: 'APIKEY ptc_live_x' }, undefined)).toEqual({ kind: 'apiKey', key: 'ptc_live_x' });
    });

    it('reads Basic keyId:key, keeping colons in the key', () => {
      expect(extractCredential({ Authorization: basic('key_1', 'a:b') }, undefined)).toEqual({
        kind: 'apiKey',
        key: 'a:b',
        claimedKeyId: 'key_1',
      });
    });

    it('accepts the same value present in both header maps', () => {
      expect(extractCredential({ Authorization: 'Bearer t' }, { Authorization: ['Bearer t'] })).toMatchObject({ kind: 'jwt', token: 't' });
    });
  });

  describe('error flow', () => {
    it('refuses a request with no Authorization header', () => {
      expect(rejection(() => extractCredential({ Accept: '*/*' }, { Accept: ['*/*'] }))).toBe('missing_credential');
      expect(rejection(() => extractCredential(null, null))).toBe('missing_credential');
    });

    it('refuses two Authorization headers (multiValueHeaders), even identical', () => {
      expect(rejection(() => extractCredential({ Authorization: 'Bearer b' }, { Authorization: ['Bearer a', 'Bearer b'] }))).toBe(
        'ambiguous_credential',
      );
      expect(rejection(() => extractCredential({ Authorization: 'Bearer a' }, { Authorization: ['Bearer a', 'Bearer a'] }))).toBe(
        'ambiguous_credential',
      );
    });

    it('refuses differently cased duplicates and a single value the multi map lacks', () => {
      expect(rejection(() => extractCredential({ Authorization: 'Bearer a', authorization: 'ApiKey b' }, undefined))).toBe(
        'ambiguous_credential',
      );
      expect(rejection(() => extractCredential({ Authorization: 'Bearer x' }, { Authorization: ['Bearer a'] }))).toBe(
        'ambiguous_credential',
      );
    });

    it.each([
      ['empty', ''],
      ['control character', 'Bearer a\u0000b'],
      ['tab', 'Bearer\ta'],
      ['non-ASCII', 'Bearer ťoken'],
      ['no credentials', 'Bearer'],
      ['two credentials', 'Bearer a b'],
      ['over-long', `Bearer ${'a'.repeat(MAX_AUTHORIZATION_LENGTH)}`],
    ])('refuses a malformed header (%s)', (_name, value) => {
      expect(rejection(() => extractCredential({ Authorization: value }, undefined))).toBe('malformed_header');
    });

    it('refuses unknown schemes', () => {
      expect(rejection(() => extractCredential({ Authorization: 'Digest abc' }, undefined))).toBe('unsupported_scheme');
      expect(rejection(() => extractCredential({ Authorization: 'Token abc' }, undefined))).toBe('unsupported_scheme');
    });

    it.each([
      ['no colon', `Basic ${Buffer.from('nokey').toString('base64')}`],
      ['empty user', basic('', 'k')],
      ['empty key', basic('u', '')],
      ['not base64', 'Basic !!!!'],
      ['unpadded base64', `Basic ${Buffer.from('u:ke').toString('base64').replace(/=+$/, '')}`],
      ['non-canonical trailing bits', 'Basic dTprZR=='],
      ['control characters inside', basic('u', 'k\u0001')],
    ])('refuses malformed Basic credentials (%s)', (_name, value) => {
      expect(rejection(() => extractCredential({ Authorization: value }, undefined))).toBe('malformed_header');
    });
  });

  it('finds the one Authorization value exactly as the full list of values says, for any header maps', () => {
    const name = fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION', 'authorizatioN', 'Host', 'X-Authorization');
    const value = fc.constantFrom('Bearer a.b.c', 'Bearer x.y.z', 'ApiKey ptc_live_k', '');
    const single = fc.option(fc.dictionary(name, value, { maxKeys: 4 }), { nil: undefined });
    const multi = fc.option(fc.dictionary(name, fc.array(value, { maxLength: 3 }), { maxKeys: 4 }), { nil: undefined });
    checkProperty(
      fc.property(single, multi, (headers, multiValueHeaders) => {
        const values = authorizationValues(headers, multiValueHeaders);
        const expected = values.length === 0 ? 'missing_credential' : values.length > 1 ? 'ambiguous_credential' : values[0];
        let actual: string;
        try {
          const credential = extractCredential(headers, multiValueHeaders);
          actual = credential.kind === 'jwt' ? `Bearer ${credential.token}` : `ApiKey ${credential.key}`;
        } catch (error) {
          if (!(error instanceof CredentialRejectedError)) throw error;
          actual = error.code === 'malformed_header' && values.length === 1 ? values[0]! : error.code;
        }
        expect(actual).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
