import { createHash, randomBytes } from 'node:crypto'

/**
 * API-key secrets (docs/redemption-api.md, "Authentication"):
 * `bk_<keyId>_<43 chars of base64url>`. The secret names its key, so a request
 * can say which key signed it without a second credential. Only SHA-256(secret)
 * is stored; the secret is shown once.
 */

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const KEY_ID_LENGTH = 12

export const API_KEY_ID = /^[A-Za-z0-9]{1,64}$/
export const API_KEY_SECRET = /^bk_([A-Za-z0-9]+)_([A-Za-z0-9_-]{43})$/

/** 12 base62 characters (~71 bits): unique enough that ids are never reused. */
export function newApiKeyId(): string {
  let id = ''
  while (id.length < KEY_ID_LENGTH) {
    for (const byte of randomBytes(KEY_ID_LENGTH * 2)) {
      // 248 = 4 × 62: dropping bytes ≥ 248 keeps every character equally likely.
      if (byte < 248 && id.length < KEY_ID_LENGTH) id += BASE62[byte % 62]
    }
  }
  return id
}

/** A fresh secret for `keyId`: 32 random bytes, base64url (43 characters, no padding). */
export function newApiKeySecret(keyId: string): string {
  return `bk_${keyId}_${randomBytes(32).toString('base64url')}`
}

/** What the database keeps: hex SHA-256 of the whole secret string. */
export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/** The key id a secret names, or undefined when it is not an API-key secret. */
export function apiKeyIdOfSecret(secret: string): string | undefined {
  return API_KEY_SECRET.exec(secret)?.[1]
}
