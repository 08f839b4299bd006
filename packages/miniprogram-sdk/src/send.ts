/**
 * One logical call: sign, send, decode, and retry the retryable failures within the attempt
 * cap and the total deadline. Every attempt carries the same body and Idempotency-Key.
 */
import type { Authorizer } from './auth.js'
import type { BenefitKitError } from './errors.js'
import { decodeSuccess, errorFromResponse, errorFromTransport, getHeader } from './response.js'
import { backoffDelay, parseRetryAfter, type RetryPolicy } from './retry.js'
import type { Transport, TransportRequest, TransportResponse } from './transport.js'

export interface RetryEvent {
  /** The attempt that just failed, 1-based. */
  attempt: number
  error: BenefitKitError
  /** How long the client waits before the next attempt. */
  delayMs: number
}

export interface SendContext {
  origin: string
  transport: Transport
  authorizer: Authorizer
  timeoutMs: number
  retry: RetryPolicy
  now: () => number
  random: () => number
  onRetry: ((event: RetryEvent) => void) | undefined
}

export interface Call {
  /** Full path, prefix included: it is what gets signed. */
  path: string
  body: string
  idempotencyKey?: string | undefined
  timeoutMs?: number | undefined
  deadlineMs?: number | undefined
}

export interface Answer {
  body: Record<string, unknown>
  response: TransportResponse
}

export async function send(ctx: SendContext, call: Call): Promise<Answer> {
  const deadline = ctx.now() + (call.deadlineMs ?? ctx.retry.deadlineMs)
  const timeoutMs = call.timeoutMs ?? ctx.timeoutMs
  let attempt = 0
  let refreshed = false
  let lastError: BenefitKitError | undefined

  for (;;) {
    const remaining = deadline - ctx.now()
    if (lastError && remaining <= 0) throw lastError
    attempt++

    const credential = await ctx.authorizer.authorize('POST', call.path, call.body)
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      Authorization: credential.header,
    }
    if (call.idempotencyKey) headers['Idempotency-Key'] = call.idempotencyKey

    const outcome = await exchange(ctx.transport, {
      method: 'POST',
      url: ctx.origin + call.path,
      headers,
      body: call.body,
      // Never let one attempt outlive the deadline.
      timeoutMs: Math.max(1, Math.min(timeoutMs, remaining)),
    })

    let error: BenefitKitError
    if ('error' in outcome) {
      error = outcome.error
    } else {
      const { response } = outcome
      if (response.status >= 200 && response.status < 300) return { body: decodeSuccess(response), response }
      error = errorFromResponse(response)
      // An expired user token: fetch a new one and try once more, outside the attempt budget.
      if (error.code === 'UNAUTHENTICATED' && credential.invalidate && !refreshed) {
        refreshed = true
        credential.invalidate()
        attempt--
        lastError = error
        continue
      }
    }
    lastError = error

    if (!error.retryable || attempt >= ctx.retry.maxAttempts) throw error
    const retryAfter = 'response' in outcome ? parseRetryAfter(getHeader(outcome.response.headers, 'retry-after'), ctx.now()) : undefined
    const delayMs = retryAfter ?? backoffDelay(attempt, ctx.retry, ctx.random)
    // Waiting past the deadline cannot help: fail now with what we know.
    if (ctx.now() + delayMs >= deadline) throw error
    ctx.onRetry?.({ attempt, error, delayMs })
    await sleep(delayMs)
  }
}

/** One transport call; its rejection becomes a typed error instead of an exception. */
async function exchange(
  transport: Transport,
  request: TransportRequest,
): Promise<{ response: TransportResponse } | { error: BenefitKitError }> {
  try {
    return { response: await transport(request) }
  } catch (cause) {
    return { error: errorFromTransport(cause) }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
