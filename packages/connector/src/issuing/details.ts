import type { Amount, BenefitStatus, ExternalBenefitDetail } from '@benefitkit/shared'
import type { InstanceState } from '../db/schema.js'

/** The columns of an instance the platform sees. */
export interface InstanceFacts {
  id: string
  template_id: string
  state: InstanceState
  code: string
  pin: string | null
  url: string | null
  activate_time: string
  expire_time: string
  expire_at: number
  amount_currency: string | null
  amount_value: string | null
}

/** EXPIRED is never stored: an ACTIVATED instance past its expireTime is EXPIRED. */
export function statusAt(state: InstanceState, expireAt: number, now: number): BenefitStatus {
  return state === 'ACTIVATED' && now >= Number(expireAt) ? 'EXPIRED' : state
}

/**
 * An instance as an ExternalBenefitDetail (protocol.md §6.7), with the one way
 * to redeem it: benefitUrl for URL benefits (the code column holds the URL's
 * token), otherwise benefitCode and, when there is one, benefitPin.
 */
export function detailOf(instance: InstanceFacts, now: number): ExternalBenefitDetail {
  const amount: Amount | undefined =
    instance.amount_currency && instance.amount_value ? { currency: instance.amount_currency, value: instance.amount_value } : undefined
  return {
    benefitInstanceId: instance.id,
    benefitTemplateId: instance.template_id,
    ...(amount ? { amount } : {}),
    status: statusAt(instance.state, instance.expire_at, now),
    activateTime: instance.activate_time,
    expireTime: instance.expire_time,
    ...(instance.url !== null
      ? { benefitUrl: instance.url }
      : { benefitCode: instance.code, ...(instance.pin !== null ? { benefitPin: instance.pin } : {}) }),
  }
}
