/**
 * The `Signature` header: `algorithm=RSA256,keyVersion=1,signature=<url-encoded base64>`.
 * Strict out, lenient in (protocol.md §2).
 */

export interface SignatureHeader {
  algorithm: 'RSA256'
  keyVersion: string
  /** As it appeared: URL-encoded (or raw) base64. */
  signature: string
}

export class SignatureHeaderError extends Error {
  override readonly name = 'SignatureHeaderError'
}

export function formatSignatureHeader({ keyVersion, signature }: { keyVersion: string | number; signature: string }): string {
  return `algorithm=RSA256,keyVersion=${keyVersion},signature=${signature}`
}

/**
 * Splits on `,`, trims, splits each part on its first `=`. Parameter names are
 * matched case-insensitively, `algorithm` must be RSA256 in any case, and
 * keyVersion defaults to `1` when the sender leaves it out.
 */
export function parseSignatureHeader(header: string | undefined): SignatureHeader {
  if (!header || !header.trim()) throw new SignatureHeaderError('Signature header is missing')
  const fields = new Map<string, string>()
  for (const part of header.split(',')) {
    const piece = part.trim()
    if (!piece) continue
    const eq = piece.indexOf('=')
    if (eq <= 0) throw new SignatureHeaderError(`Signature header part "${piece.slice(0, 40)}" is not name=value`)
    fields.set(piece.slice(0, eq).trim().toLowerCase(), piece.slice(eq + 1).trim())
  }
  const algorithm = fields.get('algorithm')
  if (algorithm === undefined) throw new SignatureHeaderError('Signature header has no algorithm (expected algorithm=RSA256)')
  if (algorithm.toUpperCase() !== 'RSA256') {
    throw new SignatureHeaderError(`Signature algorithm ${algorithm.slice(0, 20)} is not supported (only RSA256)`)
  }
  const signature = fields.get('signature')
  if (!signature) throw new SignatureHeaderError('Signature header has no signature value')
  const keyVersion = fields.get('keyversion') || '1'
  return { algorithm: 'RSA256', keyVersion, signature }
}
