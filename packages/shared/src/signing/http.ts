/**
 * Sign what is sent, verify what was received (raw bytes, never re-serialised
 * JSON), for requests and answers in both directions.
 */
import { checkFreshness, DEFAULT_MAX_CLOCK_SKEW_MS, formatProtocolTime } from '../time.js'
import { buildSignContent, signContent } from './content.js'
import { formatSignatureHeader } from './header.js'
import type { PublicKeyring, SigningKey } from './keyring.js'

/** Header lookup that ignores case (Node lower-cases, fetch's Headers too, others may not). */
export type HeaderSource = Headers | Record<string, string | string[] | undefined>

export function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined
  const record = headers as Record<string, string | string[] | undefined>
  const direct = record[name] ?? record[name.toLowerCase()]
  const value =
    direct ?? Object.entries(record).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]
  return Array.isArray(value) ? value[0] : value
}

export interface SignedHeaders {
  'Client-Id': string
  Signature: string
  [name: string]: string
}

export interface SignRequestInput {
  method?: string
  path: string
  clientId: string
  body: string | Uint8Array
  key: SigningKey
  /** Defaults to now, written with this machine's offset. */
  time?: string
}

/**
 * An answer is signed exactly like a request, over the request's method, path
 * and Client-Id (so it is bound to its request), with the time in `Response-Time`.
 */
export type SignResponseInput = SignRequestInput

function signedHeaders(timeHeader: 'Request-Time' | 'Response-Time', input: SignRequestInput): SignedHeaders {
  const { method = 'POST', path, clientId, body, key, time = formatProtocolTime() } = input
  const signature = signContent(buildSignContent({ method, path, clientId, time, body }), key.privateKey)
  return {
    'Content-Type': 'application/json; charset=UTF-8',
    'Client-Id': clientId,
    [timeHeader]: time,
    Signature: formatSignatureHeader({ keyVersion: key.keyVersion, signature }),
  }
}

/** The headers of a signed request: Client-Id, Request-Time, Signature, Content-Type. */
export function signRequest(input: SignRequestInput): SignedHeaders {
  return signedHeaders('Request-Time', input)
}

/** The headers of a signed answer: Client-Id, Response-Time, Signature, Content-Type. */
export function signResponse(input: SignResponseInput): SignedHeaders {
  return signedHeaders('Response-Time', input)
}

export type InboundCheck =
  | { ok: true; clientId: string; keyVersion: string; time: string }
  | { ok: false; code: 'PARAM_ILLEGAL' | 'INVALID_SIGNATURE' | 'KEY_NOT_FOUND' | 'INVALID_CLIENT'; message: string }

export interface VerifyRequestInput {
  method: string
  path: string
  headers: HeaderSource
  body: string | Uint8Array
  /** The peer's keys for this Client-Id. */
  keyring: PublicKeyring
  /** The Client-Id we expect; another one is INVALID_CLIENT. */
  expectedClientId: string
  now?: number
  maxSkewMs?: number
}

/**
 * Checks an inbound request in the order that costs least first: headers
 * present, Client-Id known, time fresh, then the RSA verify.
 */
export function verifyRequest(input: VerifyRequestInput): InboundCheck {
  const clientId = headerValue(input.headers, 'Client-Id')
  if (!clientId) return { ok: false, code: 'PARAM_ILLEGAL', message: 'Client-Id header is missing' }
  if (clientId !== input.expectedClientId) return { ok: false, code: 'INVALID_CLIENT', message: 'unknown Client-Id' }
  const time = headerValue(input.headers, 'Request-Time')
  const fresh = checkFreshness(time, input.now ?? Date.now(), input.maxSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS)
  if (!fresh.ok) return { ok: false, code: 'PARAM_ILLEGAL', message: fresh.reason }
  const content = buildSignContent({ method: input.method, path: input.path, clientId, time: time!, body: input.body })
  const verdict = input.keyring.verify(content, headerValue(input.headers, 'Signature'))
  if (!verdict.ok) return verdict
  return { ok: true, clientId, keyVersion: verdict.keyVersion, time: time! }
}

export interface VerifyResponseInput {
  method?: string
  path: string
  /** The Client-Id of the request this answers. */
  clientId: string
  headers: HeaderSource
  body: string | Uint8Array
  keyring: PublicKeyring
}

/**
 * Whether an answer is signed by the peer for this request. An unsigned or badly
 * signed answer must be treated as unknown (U), never as success.
 */
export function verifyResponse({ method = 'POST', path, clientId, headers, body, keyring }: VerifyResponseInput): boolean {
  const time = headerValue(headers, 'Response-Time')
  if (!time) return false
  const content = buildSignContent({ method, path, clientId, time, body })
  return keyring.verify(content, headerValue(headers, 'Signature')).ok
}
