/**
 * Random bytes without assuming `crypto.randomUUID` (mini programs lack it) and without a
 * Node import. An idempotency key only has to be unique, so when no CSPRNG exists we fall back to
 * `Math.random`, as stripe-node's `_defaultIdempotencyKey` does.
 */

/** The part of WebCrypto the SDK uses; declared here so no DOM or Node typings leak into ours. */
export interface CryptoLike {
  getRandomValues?: (array: Uint8Array) => Uint8Array
  subtle?: SubtleLike
}

export interface SubtleLike {
  digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>
  importKey(
    format: 'raw',
    keyData: ArrayBuffer,
    algorithm: { name: 'HMAC'; hash: 'SHA-256' },
    extractable: false,
    usages: ['sign'],
  ): Promise<unknown>
  sign(algorithm: 'HMAC', key: unknown, data: Uint8Array): Promise<ArrayBuffer>
}

/** The runtime's WebCrypto, if any. `typeof` keeps this safe where `crypto` is undeclared. */
export function getCrypto(): CryptoLike | undefined {
  return typeof crypto === 'object' && crypto !== null ? (crypto as unknown as CryptoLike) : undefined
}

export function randomBytes(length: number, cryptoImpl: CryptoLike | undefined = getCrypto()): Uint8Array {
  const bytes = new Uint8Array(length)
  if (cryptoImpl && typeof cryptoImpl.getRandomValues === 'function') {
    cryptoImpl.getRandomValues(bytes)
  } else {
    for (let i = 0; i < length; i++) bytes[i] = Math.floor(Math.random() * 256)
  }
  return bytes
}

/** A version-4 UUID: 36 characters, all inside the contract's Idempotency-Key alphabet. */
export function createIdempotencyKey(cryptoImpl: CryptoLike | undefined = getCrypto()): string {
  const b = randomBytes(16, cryptoImpl)
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  let hex = ''
  for (let i = 0; i < 16; i++) hex += (b[i]! + 0x100).toString(16).slice(1)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The contract's Idempotency-Key rule: 8–255 characters of `[A-Za-z0-9_.:-]`. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,255}$/
