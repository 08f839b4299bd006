import { verifyContent } from './content.js'
import { parseSignatureHeader, SignatureHeaderError } from './header.js'
import type { PublicKey } from './keys.js'

export type VerifyFailure = {
  ok: false
  code: 'INVALID_SIGNATURE' | 'KEY_NOT_FOUND'
  message: string
}
export type VerifyResult = { ok: true; keyVersion: string } | VerifyFailure

/**
 * The public keys of one peer by keyVersion. During a rotation two (or more)
 * versions are active at once, and the header's keyVersion picks the key.
 */
export class PublicKeyring {
  readonly #keys: ReadonlyMap<string, PublicKey>

  constructor(keys: Iterable<readonly [string | number, PublicKey]> | Record<string, PublicKey>) {
    const entries = Symbol.iterator in keys ? [...keys] : Object.entries(keys)
    this.#keys = new Map(entries.map(([version, key]) => [String(version), key]))
    if (this.#keys.size === 0) throw new Error('a keyring needs at least one public key')
  }

  get versions(): string[] {
    return [...this.#keys.keys()]
  }

  get(version: string): PublicKey | undefined {
    return this.#keys.get(version)
  }

  /** Verifies `content` against a raw `Signature` header. */
  verify(content: Uint8Array, signatureHeader: string | undefined): VerifyResult {
    let parsed
    try {
      parsed = parseSignatureHeader(signatureHeader)
    } catch (error) {
      if (error instanceof SignatureHeaderError) return { ok: false, code: 'INVALID_SIGNATURE', message: error.message }
      throw error
    }
    const key = this.#keys.get(parsed.keyVersion)
    if (!key) {
      return { ok: false, code: 'KEY_NOT_FOUND', message: `no key for keyVersion ${parsed.keyVersion.slice(0, 16)}` }
    }
    if (!verifyContent(content, parsed.signature, key)) {
      return { ok: false, code: 'INVALID_SIGNATURE', message: 'signature does not match the request' }
    }
    return { ok: true, keyVersion: parsed.keyVersion }
  }
}

/** Our own signing key with the version the peer knows it by. */
export interface SigningKey {
  readonly keyVersion: string
  readonly privateKey: import('./keys.js').PrivateKey
}
