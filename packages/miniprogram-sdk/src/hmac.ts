/**
 * API-key request signing (docs/redemption-api.md, "Authentication"):
 *
 *   Authorization: BK-HMAC-SHA256 key=<keyId>,ts=<epoch ms>,nonce=<nonce>,sig=<base64url>
 *   sig = HMAC-SHA256(key = SHA-256(secret) as 32 raw bytes,
 *                     data = METHOD \n PATH(+query) \n ts \n nonce \n rawBody)
 *
 * WebCrypto only (`crypto.subtle`), so the same code runs on Node ≥ 20, Deno, Bun and workers.
 */
import { base64url } from './base64url.js'
import type { SubtleLike } from './random.js'

/** `bk_<keyId>_<random>`; the key id is `[A-Za-z0-9]+`, and the random part is base64url. */
const API_KEY_PATTERN = /^bk_([A-Za-z0-9]+)_[A-Za-z0-9_-]+$/

/** The key id the secret names, or undefined when `apiKey` is not an API-key secret. */
export function apiKeyId(apiKey: string): string | undefined {
  return API_KEY_PATTERN.exec(apiKey)?.[1]
}

export interface SigningInput {
  method: string
  /** Path plus query, exactly as in the request line. */
  path: string
  ts: number
  nonce: string
  body: string
}

/** The exact string that is signed; exported so tests and servers can rebuild it. */
export function signingString({ method, path, ts, nonce, body }: SigningInput): string {
  return `${method}\n${path}\n${ts}\n${nonce}\n${body}`
}

export interface HmacSigner {
  /** The `Authorization` header value for one request. */
  authorization(input: SigningInput): Promise<string>
}

/**
 * Derives the HMAC key once (SHA-256 of the secret, imported as a non-extractable key) and signs
 * each request with it. The secret itself never leaves this function.
 */
export function createHmacSigner(apiKey: string, keyId: string, subtle: SubtleLike, encode: (s: string) => Uint8Array): HmacSigner {
  let key: Promise<unknown> | undefined
  const getKey = (): Promise<unknown> =>
    (key ??= subtle
      .digest('SHA-256', encode(apiKey))
      .then((digest) => subtle.importKey('raw', digest, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']))
      .catch((error: unknown) => {
        key = undefined // do not cache a failure
        throw error
      }))

  return {
    async authorization(input) {
      const mac = await subtle.sign('HMAC', await getKey(), encode(signingString(input)))
      return `BK-HMAC-SHA256 key=${keyId},ts=${input.ts},nonce=${input.nonce},sig=${base64url(new Uint8Array(mac))}`
    },
  }
}
