/**
 * The redemption API's request and answer shapes (docs/redemption-api.md), written out by hand:
 * the mini-program bundle carries no schema library.
 */

import type { RedemptionErrorCode } from './error-codes.js'

/** Minor units as a string: `{ currency: 'HKD', value: '1000' }` is HK$10.00. */
export interface Amount {
  currency: string
  value: string
}

export type UseScene = 'MINI_PROGRAM' | 'OFFLINE_STORE' | 'OTHER'
export type BenefitStatus = 'ACTIVATED' | 'REVERSED' | 'USED' | 'EXPIRED'

export interface BenefitInstance {
  benefitInstanceId: string
  benefitTemplateId: string
  userId: string
  status: BenefitStatus
  activateTime: string
  expireTime: string
  amount?: Amount
  title?: string
}

export interface Redemption {
  redemptionId: string
  benefitInstanceId: string
  benefitTemplateId: string
  userId: string
  useScene: UseScene
  usedAmount?: Amount
  orderId?: string
  storeId?: string
  redeemedAt: string
}

interface RedeemFields {
  /** Required when the instance has a PIN. */
  benefitPin?: string | undefined
  /** Optional with an API key (checked when given); implied by a user token. */
  userId?: string | undefined
  /** Default `MINI_PROGRAM`. */
  useScene?: UseScene | undefined
  usedAmount?: Amount | undefined
  /** ≤ 64 characters. */
  orderId?: string | undefined
  /** ≤ 64 characters. */
  storeId?: string | undefined
}

/** Exactly one of `benefitCode` and `benefitInstanceId`. */
export type RedeemInput = RedeemFields &
  ({ benefitCode: string; benefitInstanceId?: undefined } | { benefitInstanceId: string; benefitCode?: undefined })

export interface RedeemResult {
  redemption: Redemption
  instance: BenefitInstance
  /** True when the connector replayed the first answer for this Idempotency-Key. */
  replayed: boolean
  requestId: string | undefined
}

export interface LookupInput {
  benefitCode: string
  /** When given, a wrong PIN shows as `reason: 'PIN_MISMATCH'` before the shopper pays. */
  benefitPin?: string
}

export interface LookupResult {
  instance: BenefitInstance
  redeemable: boolean
  /** The error code a redeem would get now. */
  reason?: RedemptionErrorCode
  pinRequired: boolean
  requestId: string | undefined
}

export interface CreateUserTokenInput {
  userId: string
  /** 60..3600, default 900. */
  ttlSeconds?: number | undefined
}

export interface UserToken {
  /** `bkt_…`: hand it to the mini program, which sends it as `Authorization: Bearer`. */
  token: string
  userId: string
  /** ISO 8601. */
  expiresAt: string
  requestId: string | undefined
}
