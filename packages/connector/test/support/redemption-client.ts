import { createHash, createHmac, randomBytes } from 'node:crypto'

/**
 * A bare client of the redemption API for connector tests: signs like the
 * contract says (docs/redemption-api.md), with every part overridable so a
 * test can send a stale ts, a replayed nonce or a bad signature.
 */

export interface SignOptions {
  method?: string
  path: string
  body: string
  ts?: number
  nonce?: string
}

export function hmacAuthorization(secret: string, options: SignOptions): string {
  const keyId = /^bk_([A-Za-z0-9]+)_/.exec(secret)?.[1]
  if (!keyId) throw new Error('not an API key secret')
  const ts = options.ts ?? Date.now()
  const nonce = options.nonce ?? randomBytes(16).toString('base64url')
  const key = createHash('sha256').update(secret).digest()
  const sig = createHmac('sha256', key)
    .update(`${options.method ?? 'POST'}\n${options.path}\n${ts}\n${nonce}\n${options.body}`)
    .digest('base64url')
  return `BK-HMAC-SHA256 key=${keyId},ts=${ts},nonce=${nonce},sig=${sig}`
}

export interface CallOptions {
  /** An API-key secret (the request is signed) … */
  secret?: string
  /** … or a user token. */
  token?: string
  /** Sent as is when a string; JSON-encoded otherwise. */
  body?: unknown
  idempotencyKey?: string
  ts?: number
  nonce?: string
  /** Replaces the computed Authorization header. */
  authorization?: string
  headers?: Record<string, string>
}

export interface CallResult {
  status: number
  headers: Headers
  text: string
  json: any
}

export async function call(baseUrl: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body ?? {})
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers }
  if (options.authorization !== undefined) headers.authorization = options.authorization
  else if (options.secret) headers.authorization = hmacAuthorization(options.secret, { path, body, ts: options.ts, nonce: options.nonce })
  else if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey
  const response = await fetch(baseUrl + path, { method: 'POST', headers, body })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

let counter = 0
/** A fresh Idempotency-Key. */
export function newKey(): string {
  counter += 1
  return `test-${process.pid}-${Date.now()}-${counter}-${randomBytes(4).toString('hex')}`
}
