import { createHash, createHmac, randomBytes } from 'node:crypto'

/**
 * The redemption API's request signature (docs/redemption-api.md), as a
 * server-side checkout signs it: a fresh nonce every time.
 */
export function hmacAuthorization(secret: string, path: string, body: string, { method = 'POST', ts = Date.now(), nonce = randomBytes(12).toString('base64url') } = {}): string {
  const keyId = /^bk_([A-Za-z0-9]+)_/.exec(secret)?.[1]
  if (!keyId) throw new Error('not an API key secret')
  const key = createHash('sha256').update(secret).digest()
  const sig = createHmac('sha256', key).update(`${method}\n${path}\n${ts}\n${nonce}\n${body}`).digest('base64url')
  return `BK-HMAC-SHA256 key=${keyId},ts=${ts},nonce=${nonce},sig=${sig}`
}
