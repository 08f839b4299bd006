import pRetry, { AbortError } from 'p-retry'
import type { PlatformApiName } from '@benefitkit/shared'
import type { CallOptions } from '../platform-client/client.js'
import type { PlatformOutcome } from '../platform-client/outcome.js'

/** The part of the platform client a delivery needs. */
export interface Sender {
  send(api: PlatformApiName, body: string, options?: CallOptions): Promise<PlatformOutcome>
}

export interface QuickRetryOptions {
  /** Extra tries inside one delivery after an unknown (U) outcome. */
  readonly retries: number
  readonly minTimeoutMs: number
  readonly maxTimeoutMs: number
}

export const DEFAULT_QUICK_RETRIES: QuickRetryOptions = Object.freeze({ retries: 2, minTimeoutMs: 100, maxTimeoutMs: 500 })

export interface DeliveryInput {
  api: PlatformApiName
  /** The row's body: the same string on every try. */
  body: string
  quick: QuickRetryOptions
  /** Shutdown: stops waiting between tries (the try in flight still finishes). */
  stopRetrying: AbortSignal
  /** Shutdown past its deadline: abandons the try in flight too. */
  abandon: AbortSignal
}

export interface DeliveryResult {
  /** The last try's outcome; undefined when shutdown came before the first try. */
  outcome: PlatformOutcome | undefined
  tries: number
  /** Shutdown cut the delivery short: the row should go back to pending at once. */
  interrupted: boolean
}

class UnknownOutcome extends Error {
  constructor(readonly outcome: PlatformOutcome) {
    super(`${outcome.code}: ${outcome.message}`)
  }
}

/** Codes where trying again within milliseconds only makes things worse. */
const NO_QUICK_RETRY = new Set(['REQUEST_TRAFFIC_EXCEED_LIMIT'])

/**
 * One delivery of a row: a try, and up to `quick.retries` more after a U,
 * ~100–500 ms apart, stopping at once on S or F. The long schedule (seconds to
 * hours) is the row's, not this function's. Never throws.
 */
export async function deliverOnce({ api, body, quick, stopRetrying, abandon }: DeliveryInput, sender: Sender): Promise<DeliveryResult> {
  let last: PlatformOutcome | undefined
  let tries = 0
  try {
    await pRetry(
      async () => {
        tries++
        last = await sender.send(api, body, { signal: abandon })
        // F is final: repeating the same request cannot change the answer.
        if (last.status === 'F') throw new AbortError(last.message || last.code)
        if (last.status === 'U') throw new UnknownOutcome(last)
      },
      {
        retries: quick.retries,
        minTimeout: quick.minTimeoutMs,
        maxTimeout: quick.maxTimeoutMs,
        factor: 2,
        randomize: true,
        signal: stopRetrying,
        unref: true,
        shouldRetry: ({ error }) => !(error instanceof UnknownOutcome && NO_QUICK_RETRY.has(error.outcome.code)),
      },
    )
  } catch {
    // The verdict is `last`, whatever p-retry threw (F, the last U, or the abort).
  }
  // p-retry may report an abort even after a try succeeded: the outcome we saw wins.
  const interrupted = last === undefined || (last.status === 'U' && (stopRetrying.aborted || abandon.aborted))
  return { outcome: last, tries, interrupted }
}
