/**
 * The one seam between the client and the platform's HTTP API (style.md, example 1): the core
 * calls a `Transport` and never touches `fetch`, `my` or `wx` itself.
 */

export interface TransportRequest {
  method: 'GET' | 'POST'
  /** Absolute URL. */
  url: string
  headers: Record<string, string>
  /** The exact bytes that were signed; send them unchanged. */
  body: string
  /** Give up after this many milliseconds and reject with a `TransportError` of kind `timeout`. */
  timeoutMs: number
}

export interface TransportResponse {
  status: number
  /** Header names in lower case. */
  headers: Record<string, string>
  /** The raw body text, never parsed. */
  body: string
}

/**
 * Sends one HTTP request. Resolves for every HTTP answer, 4xx and 5xx included; rejects with a
 * `TransportError` only when no answer arrived.
 */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>

export type TransportErrorKind = 'network' | 'timeout' | 'aborted'

export interface TransportErrorOptions {
  cause?: unknown
  /**
   * Default: true for `network` and `timeout`. Set false for failures another attempt cannot fix,
   * e.g. a domain missing from the mini program's allow-list.
   */
  retryable?: boolean
}

export class TransportError extends Error {
  override name = 'TransportError'
  readonly kind: TransportErrorKind
  readonly retryable: boolean

  constructor(kind: TransportErrorKind, message: string, options: TransportErrorOptions = {}) {
    super(message)
    this.kind = kind
    this.retryable = options.retryable ?? kind !== 'aborted'
    if (options.cause !== undefined) this.cause = options.cause
  }
}

/**
 * Structural check rather than `instanceof`: each transport is its own entry point, and a CJS
 * build gives every entry its own copy of this class.
 */
export function isTransportError(value: unknown): value is TransportError {
  if (typeof value !== 'object' || value === null) return false
  const { name, kind } = value as { name?: unknown; kind?: unknown }
  return name === 'TransportError' && (kind === 'network' || kind === 'timeout' || kind === 'aborted')
}
