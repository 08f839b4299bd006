import { createHash, timingSafeEqual } from 'node:crypto'
import type { BenefitStatus, InstanceView, RedemptionErrorCode } from '@benefitkit/shared'
import type { InstanceRecord } from './queries.js'

/**
 * What an instance is now. EXPIRED is never stored: it is ACTIVATED past
 * expire_at. The validity window is inclusive at both ends:
 * activate_at ≤ now ≤ expire_at.
 */
export function instanceStatus(row: InstanceRecord, now: number): BenefitStatus {
  if (row.state === 'ACTIVATED' && now > row.expire_at) return 'EXPIRED'
  return row.state
}

/** The instance as the API shows it; `status` overrides the stored state (USED right after a redeem). */
export function instanceView(row: InstanceRecord, now: number, status?: BenefitStatus): InstanceView {
  const view: InstanceView = {
    benefitInstanceId: row.id,
    benefitTemplateId: row.template_id,
    userId: row.user_id,
    status: status ?? instanceStatus(row, now),
    activateTime: row.activate_time,
    expireTime: row.expire_time,
  }
  if (row.amount_currency !== null && row.amount_value !== null) view.amount = { currency: row.amount_currency, value: row.amount_value }
  if (row.title !== null) view.title = row.title
  return view
}

export interface Refusal {
  code: RedemptionErrorCode
  message: string
}

export interface RedeemCheck {
  /** The userId a caller with an API key named (USER_MISMATCH when it differs). */
  userId?: string | undefined
  /** The PIN given; checked only when `checkPin` (a lookup without a PIN does not check it). */
  pin?: string | undefined
  checkPin: boolean
}

/**
 * Why a redeem of this instance would be refused now, or undefined when it
 * would succeed. The order is the contract's: state first (a used code says
 * so even without its PIN), then the validity window, then who and the PIN.
 */
export function redeemRefusal(row: InstanceRecord, check: RedeemCheck, now: number): Refusal | undefined {
  if (row.state === 'REVERSED') return { code: 'BENEFIT_REVERSED', message: 'this benefit was reversed and cannot be redeemed' }
  if (row.state === 'USED') return { code: 'BENEFIT_ALREADY_USED', message: 'this benefit has already been redeemed' }
  if (now < row.activate_at) return { code: 'BENEFIT_NOT_YET_VALID', message: `this benefit is valid from ${row.activate_time}` }
  if (now > row.expire_at) return { code: 'BENEFIT_EXPIRED', message: `this benefit expired at ${row.expire_time}` }
  if (check.userId !== undefined && check.userId !== row.user_id) {
    return { code: 'USER_MISMATCH', message: 'userId is not the user this benefit was issued to' }
  }
  if (check.checkPin && row.pin !== null) {
    if (check.pin === undefined) return { code: 'PIN_MISMATCH', message: 'benefitPin is required for this benefit' }
    if (!pinMatches(row.pin, check.pin)) return { code: 'PIN_MISMATCH', message: 'benefitPin does not match' }
  }
  return undefined
}

/**
 * Constant-time PIN comparison. Hashing first gives both sides the same
 * length, so neither the content nor the length of the PIN leaks through timing.
 */
export function pinMatches(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest()
  const b = createHash('sha256').update(given, 'utf8').digest()
  return timingSafeEqual(a, b)
}
