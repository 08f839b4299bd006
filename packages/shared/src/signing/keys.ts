import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import NodeRSA from 'node-rsa'

/**
 * RSA keys, parsed once into reusable objects (a key parsed per call costs 3 × on
 * sign and 7 × on verify, bench/signing.bench.ts).
 * The platform exchanges keys as bare base64 DER — private PKCS#8, public X.509
 * SubjectPublicKeyInfo — and some SDKs of its family emit PKCS#1; PEM is accepted too.
 *
 * Two engines sit behind the same interface: `node:crypto` KeyObjects (default)
 * and node-rsa with `pkcs1-sha256` (its default scheme is PSS, which is wrong here).
 * node-rsa 2 signs through node:crypto itself, so bench/signing.bench.ts measures
 * the two on par (node-rsa within ~5 %); the default saves its copies and a dependency.
 */

export type SigningEngine = 'node-crypto' | 'node-rsa'

export interface PrivateKey {
  readonly kind: 'private'
  readonly engine: SigningEngine
  /** SHA256withRSA (PKCS#1 v1.5) over the bytes; the raw signature. */
  sign(content: Uint8Array): Buffer
  /** The matching public key. */
  publicKey(): PublicKey
}

export interface PublicKey {
  readonly kind: 'public'
  readonly engine: SigningEngine
  verify(content: Uint8Array, signature: Uint8Array): boolean
  /** Bare base64 SubjectPublicKeyInfo, the platform's exchange format. */
  toBase64(): string
}

export class KeyFormatError extends Error {
  override readonly name = 'KeyFormatError'
}

const PRIVATE_FORMATS =
  'an RSA private key as bare base64 DER (PKCS#8 or PKCS#1) or PEM (BEGIN PRIVATE KEY / BEGIN RSA PRIVATE KEY)'
const PUBLIC_FORMATS =
  'an RSA public key as bare base64 DER (X.509 SubjectPublicKeyInfo or PKCS#1) or PEM (BEGIN PUBLIC KEY / BEGIN RSA PUBLIC KEY)'

function isPem(text: string): boolean {
  return text.includes('-----BEGIN ')
}

function bareDer(text: string, expected: string): Buffer {
  const compact = text.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new KeyFormatError(`expected ${expected}; got text that is neither PEM nor base64`)
  }
  return Buffer.from(compact, 'base64')
}

function firstThatParses<T>(attempts: Array<() => T>, expected: string): T {
  for (const attempt of attempts) {
    try {
      return attempt()
    } catch {
      // try the next format
    }
  }
  throw new KeyFormatError(`expected ${expected}; could not parse the key`)
}

function requireRsa(key: KeyObject, expected: string): KeyObject {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new KeyFormatError(`expected ${expected}; got a ${key.asymmetricKeyType ?? 'non-asymmetric'} key`)
  }
  return key
}

function parsePrivateKeyObject(text: string): KeyObject {
  const trimmed = text.trim()
  if (!trimmed) throw new KeyFormatError(`expected ${PRIVATE_FORMATS}; got an empty string`)
  if (isPem(trimmed)) {
    return requireRsa(firstThatParses([() => createPrivateKey(trimmed)], PRIVATE_FORMATS), PRIVATE_FORMATS)
  }
  const der = bareDer(trimmed, PRIVATE_FORMATS)
  return requireRsa(
    firstThatParses(
      [
        () => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
        () => createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }),
      ],
      PRIVATE_FORMATS,
    ),
    PRIVATE_FORMATS,
  )
}

function looksLikePrivateDer(der: Buffer): boolean {
  for (const type of ['pkcs8', 'pkcs1'] as const) {
    try {
      createPrivateKey({ key: der, format: 'der', type })
      return true
    } catch {
      // not this format
    }
  }
  return false
}

function parsePublicKeyObject(text: string): KeyObject {
  const trimmed = text.trim()
  if (!trimmed) throw new KeyFormatError(`expected ${PUBLIC_FORMATS}; got an empty string`)
  if (isPem(trimmed)) {
    if (/BEGIN (RSA |ENCRYPTED )?PRIVATE KEY/.test(trimmed)) {
      throw new KeyFormatError(`expected ${PUBLIC_FORMATS}; got a private key — share only the public half`)
    }
    return requireRsa(firstThatParses([() => createPublicKey(trimmed)], PUBLIC_FORMATS), PUBLIC_FORMATS)
  }
  const der = bareDer(trimmed, PUBLIC_FORMATS)
  // createPublicKey happily derives a public key from private DER; a private key
  // pasted where the peer's public key belongs is a mistake worth naming.
  if (looksLikePrivateDer(der)) {
    throw new KeyFormatError(`expected ${PUBLIC_FORMATS}; got a private key — share only the public half`)
  }
  return requireRsa(
    firstThatParses(
      [
        () => createPublicKey({ key: der, format: 'der', type: 'spki' }),
        () => createPublicKey({ key: der, format: 'der', type: 'pkcs1' }),
      ],
      PUBLIC_FORMATS,
    ),
    PUBLIC_FORMATS,
  )
}

class CryptoPublicKey implements PublicKey {
  readonly kind = 'public'
  readonly engine = 'node-crypto'
  readonly #key: KeyObject
  constructor(key: KeyObject) {
    this.#key = key
  }
  verify(content: Uint8Array, signature: Uint8Array): boolean {
    return verify('sha256', content, this.#key, signature)
  }
  toBase64(): string {
    return this.#key.export({ format: 'der', type: 'spki' }).toString('base64')
  }
}

class CryptoPrivateKey implements PrivateKey {
  readonly kind = 'private'
  readonly engine = 'node-crypto'
  readonly #key: KeyObject
  constructor(key: KeyObject) {
    this.#key = key
  }
  sign(content: Uint8Array): Buffer {
    return sign('sha256', content, this.#key)
  }
  publicKey(): PublicKey {
    return new CryptoPublicKey(createPublicKey(this.#key))
  }
}

const NODE_RSA_OPTIONS = { signingScheme: 'pkcs1-sha256', environment: 'node' } as const

class NodeRsaPublicKey implements PublicKey {
  readonly kind = 'public'
  readonly engine = 'node-rsa'
  readonly #key: NodeRSA
  constructor(key: NodeRSA) {
    this.#key = key
  }
  verify(content: Uint8Array, signature: Uint8Array): boolean {
    try {
      return this.#key.verify(Buffer.from(content), Buffer.from(signature))
    } catch {
      return false
    }
  }
  toBase64(): string {
    return (this.#key.exportKey('pkcs8-public-der') as Buffer).toString('base64')
  }
}

class NodeRsaPrivateKey implements PrivateKey {
  readonly kind = 'private'
  readonly engine = 'node-rsa'
  readonly #key: NodeRSA
  constructor(key: NodeRSA) {
    this.#key = key
  }
  sign(content: Uint8Array): Buffer {
    return Buffer.from(this.#key.sign(Buffer.from(content)))
  }
  publicKey(): PublicKey {
    const pub = new NodeRSA(this.#key.exportKey('pkcs8-public-der') as Buffer, 'pkcs8-public-der', NODE_RSA_OPTIONS)
    return new NodeRsaPublicKey(pub)
  }
}

export interface LoadKeyOptions {
  /** Which implementation signs and verifies; `node-crypto` unless you are measuring. */
  engine?: SigningEngine
}

/** Parses a private key once: bare base64 PKCS#8 / PKCS#1, or PEM. */
export function loadPrivateKey(text: string, options: LoadKeyOptions = {}): PrivateKey {
  const key = parsePrivateKeyObject(text)
  if (options.engine === 'node-rsa') {
    const der = key.export({ format: 'der', type: 'pkcs8' })
    return new NodeRsaPrivateKey(new NodeRSA(der, 'pkcs8-private-der', NODE_RSA_OPTIONS))
  }
  return new CryptoPrivateKey(key)
}

/** Parses a public key once: bare base64 SPKI / PKCS#1, or PEM. */
export function loadPublicKey(text: string, options: LoadKeyOptions = {}): PublicKey {
  const key = parsePublicKeyObject(text)
  if (options.engine === 'node-rsa') {
    const der = key.export({ format: 'der', type: 'spki' })
    return new NodeRsaPublicKey(new NodeRSA(der, 'pkcs8-public-der', NODE_RSA_OPTIONS))
  }
  return new CryptoPublicKey(key)
}

export interface GeneratedKeyPair {
  /** Bare base64 PKCS#8 DER: the platform's exchange format. */
  privateKeyBase64: string
  /** Bare base64 X.509 SubjectPublicKeyInfo DER. */
  publicKeyBase64: string
  privateKeyPem: string
  publicKeyPem: string
}

/** A fresh RSA-2048 pair in both the platform's bare base64 and PEM. */
export function generateRsaKeyPair(): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    privateKeyBase64: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKeyBase64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  }
}
