import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 of `text` under `secret`, base64url (43 characters): what every link of ours carries. */
export function hmac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('base64url');
}

/**
 * True when `given` is the signature of `text` under one of `keys` (the current key, then the keys
 * before a rotation), compared in constant time.
 */
export function signedByOneOf(keys: readonly string[], text: string, given: string): boolean {
  const actual = Buffer.from(given);
  return keys.some((key) => {
    const expected = Buffer.from(hmac(key, text));
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  });
}
