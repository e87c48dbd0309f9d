/**
 * PROTOTYPE (bench only): lambda/credentials.ts's `authorizationValues` with a fast path. Same result for every
 * input: only names of the length of "authorization" (13) are lower-cased and compared, instead of every header
 * name of both maps (about 40 `toLowerCase` calls and two arrays per request with a CloudFront event).
 */
import { extractCredential as realExtract, type Credential, type HeaderMap, type MultiValueHeaderMap } from '../../lambda/credentials';

const isAuthorization = (name: string) => name.length === 13 && name.toLowerCase() === 'authorization';

/** True when the maps hold exactly one Authorization value, the same in both (the common case); else undefined. */
function singleAuthorization(headers: HeaderMap, multiValueHeaders: MultiValueHeaderMap): string | undefined {
  let single: string | undefined;
  let count = 0;
  if (headers) {
    for (const name in headers) {
      if (!isAuthorization(name)) continue;
      const value = headers[name];
      if (typeof value === 'string') {
        single = value;
        count++;
      }
    }
  }
  if (count !== 1) return undefined;
  let multiCount = 0;
  let multiValue: string | undefined;
  if (multiValueHeaders) {
    for (const name in multiValueHeaders) {
      if (!isAuthorization(name)) continue;
      const values = multiValueHeaders[name];
      if (Array.isArray(values)) {
        multiCount += values.length;
        multiValue = values[0];
      }
    }
  }
  if (multiCount === 0 || (multiCount === 1 && multiValue === single)) return single;
  return undefined;
}

/** As lambda/credentials.ts `extractCredential`; the fast path only decides *which* single value to parse. */
export function extractCredential(headers: HeaderMap, multiValueHeaders: MultiValueHeaderMap): Credential {
  const value = singleAuthorization(headers, multiValueHeaders);
  if (value === undefined) return realExtract(headers, multiValueHeaders);
  return realExtract({ authorization: value }, undefined);
}
