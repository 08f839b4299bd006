import { createHmac, timingSafeEqual } from 'node:crypto'
import { unauthenticated } from '../errors.js'

/**
 * `Authorization: BK-HMAC-SHA256 key=<keyId>,ts=<epoch ms>,nonce=<nonce>,sig=<base64url>`
 * (docs/redemption-api.md, "Authentication").
 */
export const HMAC_SCHEME = 'BK-HMAC-SHA256'

const KEY_ID = /^[A-Za-z0-9]{1,64}$/
const TS = /^\d{1,16}$/
const NONCE = /^[A-Za-z0-9_-]{16,64}$/
/** 32 bytes of HMAC-SHA256 in base64url without padding. */
const SIG = /^[A-Za-z0-9_-]{43}$/

export interface HmacCredentials {
  keyId: string
  /** The ts exactly as sent: it is part of the signed text. */
  tsText: string
  ts: number
  nonce: string
  sig: string
}

/** Parses the parameters after the scheme; every problem is a 401 that says what is wrong. */
export function parseHmacParameters(text: string): HmacCredentials {
  // No prototype: a parameter named toString or __proto__ is just a name.
  const fields: Record<string, string> = Object.create(null) as Record<string, string>
  for (const part of text.split(',')) {
    const eq = part.indexOf('=')
    if (eq < 0) throw unauthenticated(`${HMAC_SCHEME} parameter "${part.trim()}" is not name=value`)
    const name = part.slice(0, eq).trim()
    if (name in fields) throw unauthenticated(`${HMAC_SCHEME} parameter ${name} appears twice`)
    fields[name] = part.slice(eq + 1).trim()
  }
  const { key, ts, nonce, sig } = fields
  if (key === undefined || !KEY_ID.test(key)) throw unauthenticated(`${HMAC_SCHEME} needs key=<API key id> ([A-Za-z0-9]+)`)
  if (ts === undefined || !TS.test(ts)) throw unauthenticated(`${HMAC_SCHEME} needs ts=<epoch milliseconds>`)
  if (nonce === undefined || !NONCE.test(nonce)) throw unauthenticated(`${HMAC_SCHEME} needs nonce=<16-64 characters of [A-Za-z0-9_-]>`)
  if (sig === undefined || !SIG.test(sig)) throw unauthenticated(`${HMAC_SCHEME} needs sig=<base64url HMAC-SHA256, no padding>`)
  return { keyId: key, tsText: ts, ts: Number(ts), nonce, sig }
}

/**
 * Whether `sig` is HMAC-SHA256(key, METHOD \n PATH \n ts \n nonce \n rawBody).
 * The body is fed as the received bytes, never re-serialised; the comparison
 * is constant-time.
 */
export function hmacMatches(hmacKey: Buffer, method: string, path: string, credentials: HmacCredentials, rawBody: Buffer): boolean {
  const expected = createHmac('sha256', hmacKey)
    .update(`${method}\n${path}\n${credentials.tsText}\n${credentials.nonce}\n`, 'utf8')
    .update(rawBody)
    .digest()
  const given = Buffer.from(credentials.sig, 'base64url')
  return given.length === expected.length && timingSafeEqual(given, expected)
}
