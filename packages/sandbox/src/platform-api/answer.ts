/**
 * The platform's answers: the `result` shape of protocol.md §3, always HTTP 200
 * for a protocol outcome (a non-200 means "transport failure, unknown" to the
 * caller), always signed with Response-Time over the exact bytes sent.
 */
import type { Context } from 'koa'
import { statusOfCode } from '@benefitkit/shared'
import { signResponse, type SigningKey } from '@benefitkit/shared/signing'

/** `{"result":{resultStatus,resultCode,resultMessage}, ...extra}` as JSON text. */
export function resultBody(code: string, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    result: { resultStatus: statusOfCode(code), resultCode: code, resultMessage: message.slice(0, 256) },
    ...extra,
  })
}

export interface SendOptions {
  key: SigningKey
  /** The request's Client-Id (an answer is bound to its request); the configured one when the header was missing. */
  clientId: string
  /** Sign other bytes than the ones sent, so the signature cannot verify (fault injection). */
  badSignature?: boolean
}

export function sendSigned(ctx: Context, body: string, { key, clientId, badSignature = false }: SendOptions): void {
  const bytes = Buffer.from(body, 'utf8')
  const headers = signResponse({
    method: ctx.method,
    path: ctx.url,
    clientId,
    body: badSignature ? Buffer.concat([bytes, Buffer.from(' ')]) : bytes,
    key,
  })
  ctx.status = 200
  // Headers before the body: Koa keeps an explicit Content-Type instead of guessing one.
  ctx.set(headers)
  ctx.body = bytes
}
