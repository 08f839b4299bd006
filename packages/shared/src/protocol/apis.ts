import { z } from 'zod'
import {
  Amount,
  BENEFIT_STATUSES,
  ClientCode,
  CODE_TYPES,
  Id,
  Message,
  ResultCode,
  SYNC_FAIL_CODES,
  SYNC_STATUSES,
  Time,
  Title,
  requiredOr,
  USE_SCENES,
  UserId,
} from './fields.js'

/* ---------------------------------------------------------------- answers */

/** Answer of the platform-implemented APIs: `{"result":{…}}`. */
export const ResultObject = z.object({
  resultStatus: z.enum(['S', 'F', 'U'], { error: requiredOr() }),
  resultCode: ResultCode,
  resultMessage: Message.optional(),
})
export const ResultAnswer = z.object({ result: ResultObject })
export type ResultAnswer = z.infer<typeof ResultAnswer>

/** Answer of the ISV-implemented APIs: flat `{"success":true,…}`. */
export const FlatAnswer = z.object({
  success: z.boolean(),
  resultCode: ResultCode,
  resultMessage: Message,
})
export type FlatAnswer = z.infer<typeof FlatAnswer>

/* ------------------------------------------------------- shared structures */

export const ExternalBenefitDetail = z.object({
  benefitInstanceId: Id,
  benefitTemplateId: Id,
  amount: Amount.optional(),
  status: z.enum(BENEFIT_STATUSES, { error: requiredOr() }),
  activateTime: Time,
  expireTime: Time,
  benefitCode: z.string().min(1).max(256).optional(),
  benefitPin: z.string().min(1).max(64).optional(),
  benefitUrl: z.string().min(1).max(1024).optional(),
  extendInfo: z.string().max(4096).optional(),
})
export type ExternalBenefitDetail = z.infer<typeof ExternalBenefitDetail>

/** (ours) how long an issued instance stays valid. */
export const BenefitValidPeriod = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('ABSOLUTE'), validBeginTime: Time, validEndTime: Time })
    .refine((p) => Date.parse(p.validBeginTime) < Date.parse(p.validEndTime), {
      error: 'validEndTime must be after validBeginTime',
      path: ['validEndTime'],
    }),
  z.object({ type: z.literal('RELATIVE'), validDays: z.int().min(1).max(3650) }),
])
export type BenefitValidPeriod = z.infer<typeof BenefitValidPeriod>

/** (ours) what the benefit is worth and how it is redeemed. */
export const BenefitContent = z.object({
  amount: Amount.optional(),
  description: z.string().max(1024).optional(),
  useScene: z.array(z.enum(USE_SCENES)).min(1).optional(),
  codeType: z.enum(CODE_TYPES, { error: requiredOr() }),
})
export type BenefitContent = z.infer<typeof BenefitContent>

/** (ours) the stock and the per-user limit. */
export const BenefitBudget = z.object({
  totalQuantity: z.int().min(1).max(100_000_000),
  perUserLimit: z.int().min(1).max(10_000).optional(),
})
export type BenefitBudget = z.infer<typeof BenefitBudget>

/* ------------------------------------------------------------ the seven APIs */

const syncBenefitFields = z.object({
  benefitSyncRequestId: Id,
  benefitTemplateId: Id,
  benefitProductCode: z.string().min(1).max(64),
  benefitTitle: Title,
  benefitBeginTime: Time,
  benefitEndTime: Time,
  benefitValidPeriod: BenefitValidPeriod,
  clientCode: ClientCode,
  benefitContent: BenefitContent,
  benefitBudget: BenefitBudget,
})

export const SyncBenefitRequest = syncBenefitFields.refine(
  (r) => Date.parse(r.benefitBeginTime) < Date.parse(r.benefitEndTime),
  { error: 'benefitEndTime must be after benefitBeginTime', path: ['benefitEndTime'] },
)
export type SyncBenefitRequest = z.infer<typeof SyncBenefitRequest>

export const InquireBenefitSyncRequest = z.object({ benefitSyncRequestId: Id })
export type InquireBenefitSyncRequest = z.infer<typeof InquireBenefitSyncRequest>
export const InquireBenefitSyncAnswer = ResultAnswer.extend({
  syncStatus: z.enum(SYNC_STATUSES, { error: requiredOr() }).optional(),
  syncFailCode: z.enum(SYNC_FAIL_CODES).optional(),
  syncFailReason: Message.optional(),
})
export type InquireBenefitSyncAnswer = z.infer<typeof InquireBenefitSyncAnswer>

export const SyncUsedBenefitRequest = z.object({
  benefitUseRequestId: Id,
  userId: UserId,
  clientCode: ClientCode,
  benefitInstanceId: Id,
  benefitTemplateId: Id,
  benefitUseDate: Time,
  useScene: z.enum(USE_SCENES, { error: requiredOr() }),
  usedAmount: Amount.optional(),
  benefitCode: z.string().min(1).max(256).optional(),
  benefitUrl: z.string().min(1).max(1024).optional(),
})
export type SyncUsedBenefitRequest = z.infer<typeof SyncUsedBenefitRequest>

export const NotifyBenefitSyncRequest = z
  .object({
    benefitSyncRequestId: Id,
    syncStatus: z.enum(SYNC_STATUSES, { error: requiredOr() }),
    syncFailCode: z.enum(SYNC_FAIL_CODES).optional(),
    syncFailReason: Message.optional(),
  })
  .refine((r) => r.syncStatus !== 'FAIL' || r.syncFailCode !== undefined, {
    error: 'syncFailCode is required when syncStatus is FAIL',
    path: ['syncFailCode'],
  })
export type NotifyBenefitSyncRequest = z.infer<typeof NotifyBenefitSyncRequest>

export const IssueBenefitRequest = z.object({
  benefitIssueRequestId: Id,
  userId: UserId,
  benefitTemplateId: Id,
  quantity: z.int({ error: requiredOr('must be a whole number') }).min(1, { error: 'must be at least 1' }).max(100, { error: 'at most 100 per issuing' }),
  clientCode: ClientCode.optional(),
})
export type IssueBenefitRequest = z.infer<typeof IssueBenefitRequest>
export const IssueBenefitAnswer = FlatAnswer.extend({ benefitDetails: z.array(ExternalBenefitDetail).optional() })
export type IssueBenefitAnswer = z.infer<typeof IssueBenefitAnswer>

export const ReverseBenefitIssueRequest = z.object({
  benefitIssueRequestId: Id,
  userId: UserId.optional(),
  benefitTemplateId: Id.optional(),
  quantity: z.int().min(1).max(100).optional(),
})
export type ReverseBenefitIssueRequest = z.infer<typeof ReverseBenefitIssueRequest>

export const InquireBenefitIssueRequest = z.object({ benefitIssueRequestId: Id })
export type InquireBenefitIssueRequest = z.infer<typeof InquireBenefitIssueRequest>
export const InquireBenefitIssueAnswer = FlatAnswer.extend({ benefitDetails: z.array(ExternalBenefitDetail).optional() })
export type InquireBenefitIssueAnswer = z.infer<typeof InquireBenefitIssueAnswer>

/* ------------------------------------------------------------- the contract */

export type ApiDirection = 'isv-to-platform' | 'platform-to-isv'
export type AnswerShape = 'result' | 'flat'

interface ApiContract {
  readonly path: string
  readonly direction: ApiDirection
  readonly answerShape: AnswerShape
  readonly request: z.ZodType
  readonly answer: z.ZodType
  /** The request field that is the idempotency id, if the API has one. */
  readonly idempotencyField?: string
  /**
   * The fields that must match when an idempotency id is reused; `'body'` means
   * the whole body (protocol.md §4).
   */
  readonly keyParameters?: 'body' | readonly string[]
}

/**
 * The seven APIs keyed by name. Platform paths are appended to the platform's
 * base URL; ISV paths are the connector's defaults (configurable).
 */
export const benefitApis = {
  syncBenefit: {
    path: '/v1/marketing/benefit/sync',
    direction: 'isv-to-platform',
    answerShape: 'result',
    request: SyncBenefitRequest,
    answer: ResultAnswer,
    idempotencyField: 'benefitSyncRequestId',
    keyParameters: 'body',
  },
  inquireBenefitSync: {
    path: '/v1/marketing/benefit/sync/query',
    direction: 'isv-to-platform',
    answerShape: 'result',
    request: InquireBenefitSyncRequest,
    answer: InquireBenefitSyncAnswer,
  },
  syncUsedBenefit: {
    path: '/v1/marketing/benefit/used/sync',
    direction: 'isv-to-platform',
    answerShape: 'result',
    request: SyncUsedBenefitRequest,
    answer: ResultAnswer,
    idempotencyField: 'benefitUseRequestId',
    keyParameters: ['userId', 'clientCode', 'benefitInstanceId', 'benefitTemplateId', 'usedAmount'],
  },
  notifyBenefitSync: {
    path: '/isv/benefit/sync/notify',
    direction: 'platform-to-isv',
    answerShape: 'flat',
    request: NotifyBenefitSyncRequest,
    answer: FlatAnswer,
  },
  issueBenefit: {
    path: '/isv/benefit/issue',
    direction: 'platform-to-isv',
    answerShape: 'flat',
    request: IssueBenefitRequest,
    answer: IssueBenefitAnswer,
    idempotencyField: 'benefitIssueRequestId',
    keyParameters: ['userId', 'benefitTemplateId', 'quantity', 'clientCode'],
  },
  reverseBenefitIssue: {
    path: '/isv/benefit/reverse',
    direction: 'platform-to-isv',
    answerShape: 'flat',
    request: ReverseBenefitIssueRequest,
    answer: FlatAnswer,
    idempotencyField: 'benefitIssueRequestId',
    keyParameters: ['userId', 'benefitTemplateId', 'quantity'],
  },
  inquireBenefitIssue: {
    path: '/isv/benefit/query',
    direction: 'platform-to-isv',
    answerShape: 'flat',
    request: InquireBenefitIssueRequest,
    answer: InquireBenefitIssueAnswer,
  },
} as const satisfies Record<string, ApiContract>

export type BenefitApiName = keyof typeof benefitApis
export type PlatformApiName = {
  [K in BenefitApiName]: (typeof benefitApis)[K]['direction'] extends 'isv-to-platform' ? K : never
}[BenefitApiName]
export type IsvApiName = Exclude<BenefitApiName, PlatformApiName>

export type RequestOf<K extends BenefitApiName> = z.infer<(typeof benefitApis)[K]['request']>
export type AnswerOf<K extends BenefitApiName> = z.infer<(typeof benefitApis)[K]['answer']>

export const PLATFORM_API_NAMES = ['syncBenefit', 'inquireBenefitSync', 'syncUsedBenefit'] as const satisfies readonly PlatformApiName[]
export const ISV_API_NAMES = ['notifyBenefitSync', 'issueBenefit', 'reverseBenefitIssue', 'inquireBenefitIssue'] as const satisfies readonly IsvApiName[]

/**
 * The key parameters of a request, in a fixed order, as one string: two requests
 * with the same idempotency id must produce the same fingerprint or be answered
 * REPEAT_REQ_INCONSISTENT. Missing optional fields are `null`, so omitting a field
 * and sending it differ only when the sender really changed it.
 */
export function keyParameterFingerprint(api: BenefitApiName, request: Record<string, unknown>): string {
  const contract: ApiContract = benefitApis[api]
  const keys = contract.keyParameters
  if (keys === undefined) return ''
  if (keys === 'body') return canonicalJson(request)
  // The key parameters in canonical (sorted) order, picked straight into place:
  // only a nested value (usedAmount) needs the generic canonicalisation. This
  // runs on every issueBenefit; the bytes are exactly canonicalJson's.
  const picked: Record<string, unknown> = {}
  let nested = false
  for (const key of sortedKeyParameters(api, keys)) {
    const value = request[key] ?? null
    picked[key] = value
    if (typeof value === 'object' && value !== null) nested = true
  }
  return nested ? canonicalJson(picked) : JSON.stringify(picked)
}

const sortedKeys = new Map<BenefitApiName, readonly string[]>()

function sortedKeyParameters(api: BenefitApiName, keys: readonly string[]): readonly string[] {
  let sorted = sortedKeys.get(api)
  if (!sorted) sortedKeys.set(api, (sorted = [...keys].sort(byCodeUnit)))
  return sorted
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** JSON with object keys sorted at every level, so field order never matters. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => byCodeUnit(a, b)))
      : v,
  )
}
