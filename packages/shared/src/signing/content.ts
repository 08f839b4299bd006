import type { PrivateKey, PublicKey } from './keys.js'

export interface SignContentParts {
  /** `POST`. */
  method: string
  /** The path with its query string, exactly as on the request line. */
  path: string
  clientId: string
  /** The `Request-Time` (or, for an answer, `Response-Time`) header, exactly as sent. */
  time: string
  /** The exact bytes sent: never re-serialised JSON. */
  body: string | Uint8Array
}

/**
 * `<METHOD> <PATH>\n<Client-Id>.<time>.<raw body>` (protocol.md §2), as bytes.
 * A body given as bytes is used untouched, so a body that is not valid UTF-8
 * still verifies exactly as it was signed.
 */
export function buildSignContent({ method, path, clientId, time, body }: SignContentParts): Buffer {
  const head = Buffer.from(`${method} ${path}\n${clientId}.${time}.`, 'utf8')
  const tail = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  return Buffer.concat([head, tail])
}

/** The signature as the header carries it: standard base64, then URL-encoded. */
export function signContent(content: Uint8Array, privateKey: PrivateKey): string {
  return encodeURIComponent(privateKey.sign(content).toString('base64'))
}

const STANDARD_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * Decodes a header signature: URL-encoded base64 or raw base64 (a `+` that a
 * form decoder turned into a space is put back). `undefined` for anything that
 * is not base64, so garbage never reaches the verifier half-decoded.
 */
export function decodeSignature(signature: string): Buffer | undefined {
  let text = signature.trim()
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text)
    } catch {
      return undefined
    }
  }
  text = text.replace(/ /g, '+')
  if (!STANDARD_BASE64.test(text) || text.length % 4 !== 0) return undefined
  return Buffer.from(text, 'base64')
}

/** Whether `signature` (URL-encoded or raw base64) signs `content` under `publicKey`. */
export function verifyContent(content: Uint8Array, signature: string, publicKey: PublicKey): boolean {
  const raw = decodeSignature(signature)
  return raw !== undefined && raw.length > 0 && publicKey.verify(content, raw)
}
