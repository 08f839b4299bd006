import { z } from 'zod'
import { ISO_TIME_WITH_OFFSET, isRealIsoTime } from './iso-time.js'

/**
 * Field rules shared by every API (protocol.md §5). Each schema's message names
 * the rule, and zod adds the field's path, so a rejection reads
 * `benefitTemplateId: at most 64 characters`.
 */

const FORBIDDEN_ID_CHARS = /[@#?]/

/**
 * An error map that says `is required` when the field is missing, and otherwise
 * `message` (or zod's own words when none is given). Without it a custom type
 * message, or an enum's "Invalid option", would hide that the field is absent.
 */
export function requiredOr(message?: string): (issue: { input?: unknown }) => string | undefined {
  return (issue) => (issue.input === undefined ? 'is required' : message)
}

function idOf(max: number) {
  return z
    .string({ error: requiredOr('must be a string') })
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `at most ${max} characters` })
    .refine((s) => !FORBIDDEN_ID_CHARS.test(s), { error: 'must not contain @, # or ?' })
}

/** Idempotency ids, template ids, instance ids: ≤ 64 chars without `@ # ?`. */
export const Id = idOf(64)
/** The super app's user id: ≤ 32 chars without `@ # ?`. */
export const UserId = idOf(32)

export const Title = z.string().min(1, { error: 'must not be empty' }).max(128, { error: 'at most 128 characters' })
export const Message = z.string().max(256, { error: 'at most 256 characters' })
export const ResultCode = z.string().min(1, { error: 'must not be empty' }).max(64, { error: 'at most 64 characters' })

export { ISO_TIME_WITH_OFFSET, isRealIsoTime }

export const Time = z
  .string({ error: requiredOr('must be an ISO 8601 time string') })
  .regex(ISO_TIME_WITH_OFFSET, { error: 'must be ISO 8601 with an offset, e.g. 2026-11-24T08:00:00+08:00' })
  .refine(isRealIsoTime, { error: 'is not a real date and time' })

/** ISO 4217 alpha-3, value a positive integer in minor units, as a string. */
export const Amount = z.object({
  currency: z.string().regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 code such as HKD' }),
  value: z
    .string({ error: requiredOr('must be a string of minor units, e.g. "1000" for 10.00') })
    .regex(/^[1-9]\d{0,17}$/, { error: 'must be a positive whole number of minor units, e.g. "1000" for 10.00' }),
})
export type Amount = z.infer<typeof Amount>

/** The super apps the platform names today (protocol.md §5). */
export const CLIENT_CODES = [
  'TRUEMONEY',
  'ALIPAY_HK',
  'TNG',
  'ALIPAY_CN',
  'GCASH',
  'DANA',
  'KAKAOPAY',
  'BKASH',
  'CHOPE',
  'LAZADA',
] as const
export type KnownClientCode = (typeof CLIENT_CODES)[number]

/**
 * Unknown client codes are accepted (new super apps appear before we ship a
 * release); callers warn with {@link isKnownClientCode}.
 */
export const ClientCode = z
  .string()
  .regex(/^[A-Z0-9_]{1,32}$/, { error: 'must be an upper-case client code such as ALIPAY_HK' })

export function isKnownClientCode(code: string): code is KnownClientCode {
  return (CLIENT_CODES as readonly string[]).includes(code)
}

export const BENEFIT_STATUSES = ['ACTIVATED', 'REVERSED', 'USED', 'EXPIRED'] as const
export type BenefitStatus = (typeof BENEFIT_STATUSES)[number]

export const USE_SCENES = ['MINI_PROGRAM', 'OFFLINE_STORE', 'OTHER'] as const
export type UseScene = (typeof USE_SCENES)[number]

export const CODE_TYPES = ['CODE', 'CODE_AND_PIN', 'URL'] as const
export type CodeType = (typeof CODE_TYPES)[number]

export const SYNC_STATUSES = ['PROCESSING', 'SUCCESS', 'FAIL'] as const
export type SyncStatus = (typeof SYNC_STATUSES)[number]

export const SYNC_FAIL_CODES = ['AUDIT_FAIL', 'INNER_PROCESS_FAIL', 'SYNC_CLIENT_FAIL'] as const
export type SyncFailCode = (typeof SYNC_FAIL_CODES)[number]
