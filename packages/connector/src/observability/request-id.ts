import { randomUUID } from 'node:crypto'

/**
 * hono's rule for reusing a caller's request id: at most 255 characters of
 * `[\w\-=]`. Anything else (too long, spaces, quotes that could break log
 * parsers) is replaced with a fresh UUID.
 */
const VALID_REQUEST_ID = /^[\w\-=]{1,255}$/

export const REQUEST_ID_HEADER = 'X-Request-Id'

/** The caller's id if it is safe to echo and log, else a new UUID. */
export function requestIdFrom(incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming)) return incoming
  return randomUUID()
}
