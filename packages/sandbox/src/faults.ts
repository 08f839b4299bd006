/**
 * The fault board: what should go wrong next, set by tests, the demo or a
 * person at the CLI. Inbound faults break the platform's own answers (to the
 * ISV's syncBenefit / inquireBenefitSync / syncUsedBenefit); outbound faults
 * lose the ISV's answers to the platform's calls; the outage switch makes every
 * platform API answer 503; review outcomes decide how a template's review ends.
 */
import { z } from 'zod'
import { formatIssues, ISV_API_NAMES, PLATFORM_API_NAMES, SYNC_FAIL_CODES } from '@benefitkit/shared'
import { SandboxError } from './errors.js'
import { REVIEW_OUTCOMES, type ReviewOutcome } from './state.js'

/**
 * - `drop`: close the connection without an answer.
 * - `delay`: wait `delayMs`, then answer normally (longer than the caller's timeout = a timeout).
 * - `code`: answer `code` (default SYSTEM_ERROR, a U) instead of the real result.
 * - `http`: answer HTTP `httpStatus` (default 500) with no protocol body.
 * - `badSignature`: answer the real result with a signature that does not verify.
 */
export const INBOUND_FAULT_KINDS = ['drop', 'delay', 'code', 'http', 'badSignature'] as const
export type InboundFaultKind = (typeof INBOUND_FAULT_KINDS)[number]

/** `loseAnswer`: the call reaches the ISV, which acts on it, and its answer is thrown away (a timeout). */
export const OUTBOUND_FAULT_KINDS = ['loseAnswer'] as const
export type OutboundFaultKind = (typeof OUTBOUND_FAULT_KINDS)[number]

export type FaultKind = InboundFaultKind | OutboundFaultKind

const MAX_DELAY_MS = 10 * 60_000

export const FaultSpecSchema = z
  .object({
    /** The API the fault hits, or `*` for every API of the fault's direction. */
    api: z.union([z.enum(PLATFORM_API_NAMES), z.enum(ISV_API_NAMES), z.literal('*')]),
    kind: z.enum([...INBOUND_FAULT_KINDS, ...OUTBOUND_FAULT_KINDS]),
    /** Hit the next `times` matching calls (default 1 unless `probability` is given). */
    times: z.int().min(1).max(1_000_000).optional(),
    /** Hit each matching call with this probability, until removed (or until `times` ran out). */
    probability: z.number().gt(0).max(1).optional(),
    delayMs: z.int().min(0).max(MAX_DELAY_MS).optional(),
    code: z.string().min(1).max(64).optional(),
    httpStatus: z.int().min(400).max(599).optional(),
    /**
     * drop / code / http / delay: run the API first and break only its answer, so
     * the effect stays (the caller's retry must be answered idempotently).
     * badSignature always runs the API first.
     */
    afterProcessing: z.boolean().optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const outbound = (OUTBOUND_FAULT_KINDS as readonly string[]).includes(spec.kind)
    const apis: readonly string[] = outbound ? ISV_API_NAMES : PLATFORM_API_NAMES
    if (spec.api !== '*' && !apis.includes(spec.api)) {
      ctx.addIssue({
        code: 'custom',
        path: ['api'],
        message: outbound
          ? `${spec.kind} applies to the platform's calls to the ISV: ${ISV_API_NAMES.join(', ')} or *`
          : `${spec.kind} applies to the platform's own APIs: ${PLATFORM_API_NAMES.join(', ')} or *`,
      })
    }
  })
export type FaultSpec = z.infer<typeof FaultSpecSchema>

export interface FaultView extends FaultSpec {
  id: string
  direction: 'inbound' | 'outbound'
  /** How many calls it has hit so far. */
  fired: number
  /** Calls left before it is removed; absent for a probability-only fault. */
  remaining?: number
}

export const ReviewSettingSchema = z
  .object({
    /** Omit to set the default for every template without its own outcome. */
    templateId: z.string().min(1).max(64).optional(),
    outcome: z.enum(REVIEW_OUTCOMES),
    /** The syncFailReason sent with a failure. */
    reason: z.string().max(256).optional(),
  })
  .strict()
export type ReviewSetting = z.infer<typeof ReviewSettingSchema>

const DEFAULT_FAIL_REASONS: Record<(typeof SYNC_FAIL_CODES)[number], string> = {
  AUDIT_FAIL: 'the benefit did not pass the platform review (sandbox)',
  INNER_PROCESS_FAIL: 'internal processing of the benefit failed (sandbox)',
  SYNC_CLIENT_FAIL: 'the super app did not accept the benefit (sandbox)',
}

export function parseFaultSpec(input: unknown): FaultSpec {
  const parsed = FaultSpecSchema.safeParse(input)
  if (!parsed.success) throw new SandboxError('INVALID_FAULT', formatIssues(parsed.error))
  return parsed.data
}

export function parseReviewSetting(input: unknown): ReviewSetting {
  const parsed = ReviewSettingSchema.safeParse(input)
  if (!parsed.success) throw new SandboxError('INVALID_REVIEW_SETTING', formatIssues(parsed.error))
  return parsed.data
}

interface Entry {
  view: FaultView
}

export class FaultBoard {
  #entries: Entry[] = []
  #nextId = 1
  #outage = false
  readonly #defaultReview: ReviewSetting
  #review: ReviewSetting
  readonly #reviewByTemplate = new Map<string, ReviewSetting>()
  readonly #random: () => number

  constructor(defaultReview: ReviewOutcome, random: () => number = Math.random) {
    this.#defaultReview = { outcome: defaultReview }
    this.#review = this.#defaultReview
    this.#random = random
  }

  get outage(): boolean {
    return this.#outage
  }

  set outage(on: boolean) {
    this.#outage = on
  }

  add(input: FaultSpec): FaultView {
    const spec = parseFaultSpec(input)
    const outbound = (OUTBOUND_FAULT_KINDS as readonly string[]).includes(spec.kind)
    const times = spec.times ?? (spec.probability === undefined ? 1 : undefined)
    const view: FaultView = {
      ...spec,
      id: `f${this.#nextId++}`,
      direction: outbound ? 'outbound' : 'inbound',
      fired: 0,
      ...(times === undefined ? {} : { times, remaining: times }),
    }
    this.#entries.push({ view })
    return { ...view }
  }

  remove(id: string): boolean {
    const before = this.#entries.length
    this.#entries = this.#entries.filter((e) => e.view.id !== id)
    return this.#entries.length !== before
  }

  /** Removes every injected fault, ends an outage and resets review outcomes to the configured default. */
  clear(): void {
    this.#entries = []
    this.#outage = false
    this.#review = this.#defaultReview
    this.#reviewByTemplate.clear()
  }

  list(): FaultView[] {
    return this.#entries.map((e) => ({ ...e.view }))
  }

  /**
   * The fault that hits this call, if any: the first matching one in the order
   * they were added. A hit uses up one of its `times`.
   */
  take(direction: 'inbound' | 'outbound', api: string): FaultView | undefined {
    for (const entry of this.#entries) {
      const view = entry.view
      if (view.direction !== direction || (view.api !== '*' && view.api !== api)) continue
      if (view.probability !== undefined && this.#random() >= view.probability) continue
      view.fired += 1
      if (view.remaining !== undefined) {
        view.remaining -= 1
        if (view.remaining <= 0) this.remove(view.id)
      }
      return { ...view }
    }
    return undefined
  }

  setReview(setting: ReviewSetting): void {
    const parsed = parseReviewSetting(setting)
    if (parsed.templateId === undefined) this.#review = parsed
    else this.#reviewByTemplate.set(parsed.templateId, parsed)
  }

  /** The review outcome for a template, and the reason sent when it fails. */
  reviewFor(templateId: string): { outcome: ReviewOutcome; reason?: string } {
    const setting = this.#reviewByTemplate.get(templateId) ?? this.#review
    if (setting.outcome === 'APPROVE') return { outcome: 'APPROVE' }
    return { outcome: setting.outcome, reason: setting.reason ?? DEFAULT_FAIL_REASONS[setting.outcome] }
  }

  reviewSettings(): { default: ReviewSetting; templates: ReviewSetting[] } {
    return { default: { ...this.#review }, templates: [...this.#reviewByTemplate.values()].map((s) => ({ ...s })) }
  }
}

/** `code SYSTEM_ERROR`, `drop after processing`, … for call records and timelines. */
export function describeFault(fault: FaultView): string {
  const detail =
    fault.kind === 'code'
      ? ` ${fault.code ?? 'SYSTEM_ERROR'}`
      : fault.kind === 'http'
        ? ` ${fault.httpStatus ?? 500}`
        : fault.kind === 'delay'
          ? ` ${fault.delayMs ?? 1000}ms`
          : ''
  return `${fault.kind}${detail}${fault.afterProcessing && fault.kind !== 'badSignature' ? ' after processing' : ''} (${fault.id})`
}
