import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * `Authorization: Bearer <token>` against the configured admin token, in
 * constant time: both sides are hashed to 32 bytes first, so neither the
 * comparison nor the token's length leaks through timing.
 */

export type BearerResult = 'ok' | 'missing' | 'wrong'

const BEARER = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i

export function createBearerCheck(token: string): (authorization: string | undefined) => BearerResult {
  const expected = digest(token)
  return function checkBearer(authorization) {
    if (!authorization) return 'missing'
    const match = BEARER.exec(authorization)
    if (!match) return 'missing'
    return timingSafeEqual(digest(match[1]!), expected) ? 'ok' : 'wrong'
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}
