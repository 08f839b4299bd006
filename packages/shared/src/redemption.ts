/**
 * Our redemption API (docs/redemption-api.md): what the connector accepts from
 * checkout code. The SDK mirrors these types without zod to stay small.
 */
import { z } from 'zod'
import { Amount, BENEFIT_STATUSES, Id, USE_SCENES, UserId } from './protocol/fields.js'

const BenefitCode = z.string().min(1, { error: 'must not be empty' }).max(256, { error: 'at most 256 characters' })
const Reference = z.string().min(1, { error: 'must not be empty' }).max(64, { error: 'at most 64 characters' })

export const RedeemRequest = z
  .strictObject({
    benefitCode: BenefitCode.optional(),
    benefitInstanceId: Id.optional(),
    benefitPin: z.string().min(1).max(64).optional(),
    userId: UserId.optional(),
    useScene: z.enum(USE_SCENES).default('MINI_PROGRAM'),
    usedAmount: Amount.optional(),
    orderId: Reference.optional(),
    storeId: Reference.optional(),
  })
  .refine((r) => (r.benefitCode === undefined) !== (r.benefitInstanceId === undefined), {
    error: 'give exactly one of benefitCode or benefitInstanceId',
    path: ['benefitCode'],
  })
export type RedeemRequest = z.infer<typeof RedeemRequest>

export const LookupRequest = z.strictObject({ benefitCode: BenefitCode, benefitPin: z.string().min(1).max(64).optional() })
export type LookupRequest = z.infer<typeof LookupRequest>

export const UserTokenRequest = z.strictObject({
  userId: UserId,
  ttlSeconds: z.int().min(60).max(3600).default(900),
})
export type UserTokenRequest = z.infer<typeof UserTokenRequest>

export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,255}$/

export const REDEMPTION_ERROR_STATUS = {
  INVALID_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BENEFIT_NOT_FOUND: 404,
  BENEFIT_ALREADY_USED: 409,
  BENEFIT_REVERSED: 409,
  IDEMPOTENCY_KEY_IN_USE: 409,
  BENEFIT_EXPIRED: 422,
  BENEFIT_NOT_YET_VALID: 422,
  USER_MISMATCH: 422,
  PIN_MISMATCH: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const
export type RedemptionErrorCode = keyof typeof REDEMPTION_ERROR_STATUS

export interface InstanceView {
  benefitInstanceId: string
  benefitTemplateId: string
  userId: string
  status: (typeof BENEFIT_STATUSES)[number]
  activateTime: string
  expireTime: string
  amount?: Amount
  title?: string
}

export interface RedemptionView {
  redemptionId: string
  benefitInstanceId: string
  benefitTemplateId: string
  userId: string
  useScene: (typeof USE_SCENES)[number]
  usedAmount?: Amount
  orderId?: string
  storeId?: string
  redeemedAt: string
}

export interface RedeemAnswer {
  redemption: RedemptionView
  instance: InstanceView
}

export interface LookupAnswer {
  instance: InstanceView
  redeemable: boolean
  reason?: RedemptionErrorCode
  pinRequired: boolean
}

export interface RedemptionErrorBody {
  error: { code: RedemptionErrorCode; message: string; requestId: string }
}
