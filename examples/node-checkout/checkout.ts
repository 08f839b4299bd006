/**
 * A server-side checkout that takes a voucher code at payment time: it looks the
 * voucher up (to show the discount and refuse early), then redeems it with an
 * idempotency key derived from the order, so retrying the same order — after a
 * timeout, a crash, a double click — can never redeem twice.
 *
 * Server side only: it holds an API key (`benefitkit apikeys create`), which must
 * never ship inside a mini program (mini programs use user tokens).
 */
import { createRedemptionClient, isBenefitKitError, type RedemptionClient } from '@benefitkit/miniprogram-sdk'
import { fetchTransport } from '@benefitkit/miniprogram-sdk/fetch'
import type { Amount, BenefitInstance, Redemption } from '@benefitkit/miniprogram-sdk'

export interface CheckoutOptions {
  /** The connector's URL, e.g. http://127.0.0.1:8600. */
  baseUrl: string
  /** `bk_<keyId>_<secret>`; signs every request, never sent. */
  apiKey: string
  /** Optional: an already built client (tests, custom transports). */
  client?: RedemptionClient
}

export interface PayInput {
  orderId: string
  benefitCode: string
  /** The shopper, when known: the connector refuses a voucher of someone else (USER_MISMATCH). */
  userId?: string
  benefitPin?: string
  /** What the order cost, in minor units. */
  orderAmount?: Amount
  storeId?: string
}

export type PayResult =
  | { ok: true; redemption: Redemption; instance: BenefitInstance; replayed: boolean; discount?: Amount }
  | {
      ok: false
      /** The API's error code (BENEFIT_ALREADY_USED, …) or the SDK's (NETWORK_ERROR, TIMEOUT, …). */
      code: string
      /** What to tell the shopper. */
      message: string
      /** True when the outcome is unknown: pay again with the same order id, it is safe. */
      retryable: boolean
      requestId?: string
    }

/** What the shopper sees for each refusal. */
const MESSAGES: Record<string, string> = {
  BENEFIT_NOT_FOUND: 'This voucher code does not exist.',
  BENEFIT_ALREADY_USED: 'This voucher has already been used.',
  BENEFIT_REVERSED: 'This voucher was withdrawn.',
  BENEFIT_EXPIRED: 'This voucher has expired.',
  BENEFIT_NOT_YET_VALID: 'This voucher cannot be used yet.',
  USER_MISMATCH: 'This voucher belongs to another account.',
  PIN_MISMATCH: 'The PIN does not match this voucher.',
  FORBIDDEN: 'This voucher belongs to another account.',
  IDEMPOTENCY_KEY_REUSED: 'This order was already paid with another voucher.',
}

/** The idempotency key of an order's redeem: the same order always sends the same key. */
export function idempotencyKeyOf(orderId: string): string {
  return `checkout-order-${orderId}`.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 255)
}

export function createCheckout(options: CheckoutOptions) {
  const client =
    options.client ??
    createRedemptionClient({
      baseUrl: options.baseUrl,
      auth: { apiKey: options.apiKey },
      transport: fetchTransport(),
      // A checkout waits at most 8 s in total; the SDK retries within it.
      retry: { deadlineMs: 8_000 },
    })

  function refusal(error: unknown): PayResult {
    if (!isBenefitKitError(error)) throw error
    const retryable = error.retryable
    const message =
      MESSAGES[error.code] ??
      (retryable ? 'We could not reach the voucher service. Try again: you will not be charged twice.' : `The voucher could not be used (${error.code}).`)
    return { ok: false, code: error.code, message, retryable, ...(error.requestId ? { requestId: error.requestId } : {}) }
  }

  return {
    /** Lookup only: what the voucher is worth and whether it can be used now. Changes nothing. */
    async quote(benefitCode: string) {
      return client.lookup({ benefitCode })
    },

    /** Lookup, then redeem once for this order. Never throws for a refusal: returns `ok: false` with a message. */
    async pay(input: PayInput): Promise<PayResult> {
      try {
        // The PIN is checked by the redeem (the SDK's lookup takes the code only).
        const quote = await client.lookup({ benefitCode: input.benefitCode })
        // A voucher already used *by this order* is not a refusal: the redeem below replays it.
        if (!quote.redeemable && quote.reason !== 'BENEFIT_ALREADY_USED') {
          const code = quote.reason ?? 'NOT_REDEEMABLE'
          return { ok: false, code, message: MESSAGES[code] ?? `The voucher cannot be used now (${code}).`, retryable: false, requestId: quote.requestId }
        }
        const result = await client.redeem(
          {
            benefitCode: input.benefitCode,
            ...(input.benefitPin ? { benefitPin: input.benefitPin } : {}),
            ...(input.userId ? { userId: input.userId } : {}),
            ...(input.orderAmount ? { usedAmount: input.orderAmount } : {}),
            ...(input.storeId ? { storeId: input.storeId } : {}),
            orderId: input.orderId,
          },
          { idempotencyKey: idempotencyKeyOf(input.orderId) },
        )
        return {
          ok: true,
          redemption: result.redemption,
          instance: result.instance,
          replayed: result.replayed,
          ...(result.instance.amount ? { discount: result.instance.amount } : {}),
        }
      } catch (error) {
        return refusal(error)
      }
    },
  }
}

/** `HKD 10.00` from minor units, with the currency's own number of decimals. */
export function formatMoney(amount: Amount): string {
  let digits = 2
  try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: amount.currency }).resolvedOptions().maximumFractionDigits ?? 2
  } catch {
    // an unknown currency code: assume 2
  }
  const value = amount.value.padStart(digits + 1, '0')
  return digits === 0 ? `${amount.currency} ${value}` : `${amount.currency} ${value.slice(0, -digits)}.${value.slice(-digits)}`
}
