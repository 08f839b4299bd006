/**
 * A user collects a benefit (seed Flow 2): issueBenefit, retried with the same
 * id and the same bytes on every unknown outcome (U, non-200, timeout, bad or
 * missing answer signature); when retries run out, inquireBenefitIssue; when
 * that cannot confirm the issuing either, reverseBenefitIssue.
 *
 * Decisions (protocol.md §6.5–6.7):
 * - issue S with exactly `quantity` instances → ISSUED; issue F → REJECTED.
 * - inquiry S with all `quantity` instances not reversed → ISSUED (the answer was
 *   lost, the issuing happened); ISSUE_REQUEST_ID_NOT_EXIST → REJECTED, nothing
 *   to reverse; anything else → reverse.
 * - reversal S → REVERSED; F (e.g. an instance already used) or still U → UNKNOWN.
 */
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { ClientCode, formatIssues, Id, UserId, type ExternalBenefitDetail, type IsvApiName } from '@benefitkit/shared'
import { SandboxError } from '../errors.js'
import type { IsvAnswer, OutboundAttempt } from '../isv-client.js'
import { backoffMs } from '../options.js'
import type { CollectOutcome, IssueRecord } from '../state.js'
import type { SuperAppContext } from './context.js'

export const CollectInputSchema = z
  .object({
    userId: UserId,
    templateId: Id,
    quantity: z.int().min(1).max(100).default(1),
    /** Choose the id (e.g. to send one again); a fresh one otherwise. */
    benefitIssueRequestId: Id.optional(),
    /** Sent as issueBenefit's clientCode; default the template's. */
    clientCode: ClientCode.optional(),
    /** Collect even if the template is not released (to test the ISV's own refusal). */
    force: z.boolean().default(false),
  })
  .strict()
export type CollectInput = z.input<typeof CollectInputSchema>

export type DecidedBy = 'issue' | 'inquiry' | 'reversal'

export interface CollectResult {
  benefitIssueRequestId: string
  userId: string
  benefitTemplateId: string
  quantity: number
  outcome: CollectOutcome
  /** The code that decided it: the ISV's, or TIMEOUT / HTTP_5xx / UNSIGNED_ANSWER / … for unknowns. */
  code: string
  message: string
  /** Which call decided the outcome. */
  decidedBy: DecidedBy
  /** Every call of this collection in order: issueBenefit attempts, then inquiry, then reversal. */
  attempts: OutboundAttempt[]
  /** How many issueBenefit attempts were made. */
  issueAttempts: number
  /** The instances the user got (ISSUED), or the ones reversed. */
  benefitDetails: ExternalBenefitDetail[]
}

interface Step {
  answer?: IsvAnswer
  status: 'S' | 'F' | 'U'
  code: string
  message: string
}

export async function collect(ctx: SuperAppContext, input: CollectInput): Promise<CollectResult> {
  const parsed = CollectInputSchema.safeParse(input)
  if (!parsed.success) throw new SandboxError('INVALID_COLLECT', formatIssues(parsed.error))
  const { userId, templateId, quantity, force } = parsed.data
  const { state, options } = ctx
  const template = state.templates.get(templateId)
  if (!force && !template?.released) {
    throw new SandboxError(
      'TEMPLATE_NOT_RELEASED',
      template ? `template ${templateId} is not released (release it first)` : `no template ${templateId} was synced to the sandbox`,
      409,
    )
  }
  const id = parsed.data.benefitIssueRequestId ?? `sbx-${randomUUID()}`
  if (state.issues.get(id)?.state === 'RUNNING') throw new SandboxError('ISSUE_IN_PROGRESS', `collect ${id} is still running`, 409)
  const clientCode = parsed.data.clientCode ?? template?.approved?.clientCode

  const record: IssueRecord = {
    benefitIssueRequestId: id,
    userId,
    benefitTemplateId: templateId,
    quantity,
    ...(clientCode === undefined ? {} : { clientCode }),
    state: 'RUNNING',
    attempts: [],
    benefitDetails: [],
    startedAt: new Date().toISOString(),
  }
  state.issues.set(id, record)

  const finish = (outcome: CollectOutcome, decidedBy: DecidedBy, step: Step, details: ExternalBenefitDetail[]): CollectResult => {
    record.state = 'DONE'
    record.outcome = outcome
    record.code = step.code
    record.message = step.message
    record.benefitDetails = details
    record.finishedAt = new Date().toISOString()
    const result: CollectResult = {
      benefitIssueRequestId: id,
      userId,
      benefitTemplateId: templateId,
      quantity,
      outcome,
      code: step.code,
      message: step.message,
      decidedBy,
      attempts: record.attempts.map((a) => ({ ...a })),
      issueAttempts: record.attempts.filter((a) => a.api === 'issueBenefit').length,
      benefitDetails: details,
    }
    ctx.events.emit({ type: 'collect-finished', issue: structuredClone(record) })
    return result
  }

  try {
    // One body for every attempt: same id, same bytes (protocol.md §3, U).
    const issueBody = JSON.stringify({
      benefitIssueRequestId: id,
      userId,
      benefitTemplateId: templateId,
      quantity,
      ...(clientCode === undefined ? {} : { clientCode }),
    })
    const issued = await withRetries(ctx, record, 'issueBenefit', issueBody, options.issueRetries, (answer) =>
      checkDetails(answer, templateId, quantity),
    )
    if (issued.status === 'S') {
      const details = detailsOf(issued.answer)
      state.addInstances(record, details, new Date().toISOString())
      return finish('ISSUED', 'issue', issued, details)
    }
    if (issued.status === 'F') return finish('REJECTED', 'issue', issued, [])

    const inquiryBody = JSON.stringify({ benefitIssueRequestId: id })
    const inquiry = await withRetries(ctx, record, 'inquireBenefitIssue', inquiryBody, options.inquireRetries, (answer) =>
      checkDetails(answer, templateId, quantity),
    )
    if (inquiry.status === 'S') {
      const details = detailsOf(inquiry.answer)
      if (details.every((d) => d.status !== 'REVERSED')) {
        state.addInstances(record, details, new Date().toISOString())
        return finish('ISSUED', 'inquiry', { ...inquiry, message: 'issued (confirmed by inquireBenefitIssue)' }, details)
      }
    }
    if (inquiry.status === 'F' && inquiry.code === 'ISSUE_REQUEST_ID_NOT_EXIST') {
      return finish('REJECTED', 'inquiry', { ...inquiry, message: 'the ISV has no record of the issuing; nothing to reverse' }, [])
    }

    const reversal = await reverse(ctx, record)
    return finish(reversal.outcome, 'reversal', reversal.step, reversal.details)
  } catch (error) {
    // Stopping mid-flow: close the record so a later collect with this id is allowed.
    record.state = 'DONE'
    record.outcome = 'UNKNOWN'
    record.code = 'ABORTED'
    record.message = error instanceof Error ? error.message : String(error)
    throw error
  }
}

/**
 * reverseBenefitIssue with retries on U; marks the user's instances of this
 * issuing REVERSED on S. Also the platform's "reverse any time" action.
 */
export async function reverse(
  ctx: SuperAppContext,
  record: IssueRecord,
): Promise<{ outcome: CollectOutcome; step: Step; details: ExternalBenefitDetail[] }> {
  const body = JSON.stringify({
    benefitIssueRequestId: record.benefitIssueRequestId,
    userId: record.userId,
    benefitTemplateId: record.benefitTemplateId,
    quantity: record.quantity,
  })
  const step = await withRetries(ctx, record, 'reverseBenefitIssue', body, ctx.options.reverseRetries, () => undefined)
  if (step.status === 'S') {
    const now = new Date().toISOString()
    const instances = ctx.state.instancesOfIssue(record.benefitIssueRequestId)
    for (const instance of instances) {
      instance.status = 'REVERSED'
      instance.reversedAt = now
    }
    return { outcome: 'REVERSED', step, details: instances.map((i) => ({ ...i.detail, status: 'REVERSED' as const })) }
  }
  const message = step.status === 'F' ? `reversal refused: ${step.message}` : `reversal outcome unknown: ${step.message}`
  return { outcome: 'UNKNOWN', step: { ...step, message }, details: [] }
}

/**
 * Calls `api` up to 1 + `retries` times while the outcome is U, waiting with
 * backoff in between. `check` may turn an S that breaks the contract into U.
 */
async function withRetries(
  ctx: SuperAppContext,
  record: IssueRecord,
  api: IsvApiName,
  body: string,
  retries: number,
  check: (body: Record<string, unknown>) => string | undefined,
): Promise<Step> {
  const { options, scheduler, isv } = ctx
  let step: Step = { status: 'U', code: 'NOT_CALLED', message: 'not called' }
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (attempt > 1) await scheduler.sleep(backoffMs(attempt - 1, options.retryBackoffMs, options.retryBackoffMaxMs))
    const answer = await isv.call(api, body, { id: record.benefitIssueRequestId, attempt, check })
    const { body: _body, ...attemptRecord } = answer
    record.attempts.push(attemptRecord)
    step = { answer, status: answer.status, code: answer.code, message: answer.message }
    if (step.status !== 'U') return step
  }
  return step
}

function detailsOf(answer: IsvAnswer | undefined): ExternalBenefitDetail[] {
  return detailsIn(answer?.body)
}

function detailsIn(body: Record<string, unknown> | undefined): ExternalBenefitDetail[] {
  const details = body?.benefitDetails
  return Array.isArray(details) ? (details as ExternalBenefitDetail[]) : []
}

/** An issuing is all or nothing: exactly `quantity` instances, all of this template. */
function checkDetails(body: Record<string, unknown>, templateId: string, quantity: number): string | undefined {
  const details = detailsIn(body)
  if (details.length !== quantity) return `benefitDetails has ${details.length} instance(s), expected ${quantity}`
  const other = details.find((d) => d.benefitTemplateId !== templateId)
  if (other) return `benefitDetails: instance ${other.benefitInstanceId} is of template ${other.benefitTemplateId}, expected ${templateId}`
  if (new Set(details.map((d) => d.benefitInstanceId)).size !== details.length) return 'benefitDetails repeats a benefitInstanceId'
  return undefined
}
