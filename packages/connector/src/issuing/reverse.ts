import { sql, type Transaction } from 'kysely'
import type { ReverseBenefitIssueRequest } from '@benefitkit/shared'
import type { Db } from '../db/open.js'
import type { Database, IssuingRow } from '../db/schema.js'
import { flatAnswer, type Answer } from '../platform-api/answer.js'

/**
 * reverseBenefitIssue (protocol.md §6.6): undo an issuing, all or nothing.
 * Instances go to REVERSED and the template's stock and the user's count (kept
 * only for templates with a per-user limit) are given back, so the user can
 * collect again. If any instance was used, nothing
 * changes (BIZ_ERROR_NO_RETRY). Reversing an id never seen succeeds and leaves
 * a TOMBSTONE, so an issueBenefit that arrives late issues nothing.
 *
 * Pool codes stay with their reversed instances: a code once shown to a user
 * is not handed to someone else (and instances.code is unique anyway).
 */

export interface ReverseDeps {
  db: Db
  now: () => number
  /** Told that instances changed state (redemption/instance-cache.ts). */
  instanceCache?: { clear(): void }
}

/** An instance was used between our check and our update (PostgreSQL): roll back, answer F. */
class UsedMeanwhile extends Error {
  override readonly name = 'UsedMeanwhile'
}

export async function reverseBenefitIssue(deps: ReverseDeps, request: ReverseBenefitIssueRequest): Promise<Answer> {
  const now = deps.now()
  try {
    return await deps.db.transaction().execute((trx) => reverseIn(trx, request, now))
  } catch (error) {
    if (error instanceof UsedMeanwhile) return usedAnswer(request.benefitIssueRequestId, error.message)
    throw error
  } finally {
    // Whatever happened: lookups read the instances afresh.
    deps.instanceCache?.clear()
  }
}

async function reverseIn(trx: Transaction<Database>, request: ReverseBenefitIssueRequest, now: number): Promise<Answer> {
  const id = request.benefitIssueRequestId
  // Insert first, like issueBenefit: the tombstone is the guard against a late
  // issue, and a transaction that starts by writing never has to upgrade a read.
  const tomb = await trx
    .insertInto('issuings')
    .values({
      request_id: id,
      state: 'TOMBSTONE',
      user_id: request.userId ?? null,
      template_id: request.benefitTemplateId ?? null,
      quantity: request.quantity ?? null,
      client_code: null,
      fingerprint: null,
      answer_json: null,
      created_at: now,
      reversed_at: now,
    })
    .onConflict((oc) => oc.column('request_id').doNothing())
    .executeTakeFirst()
  if (tomb.numInsertedOrUpdatedRows !== 0n) {
    return flatAnswer('SUCCESS', `nothing was issued under ${id}; a later issueBenefit with this id will issue nothing`)
  }
  const issuing = await trx.selectFrom('issuings').selectAll().where('request_id', '=', id).executeTakeFirstOrThrow()

  const mismatch = mismatchOf(issuing, request)
  if (mismatch) return flatAnswer('REPEAT_REQ_INCONSISTENT', `issuing ${id} has a different ${mismatch.join(', ')}`)

  switch (issuing.state) {
    case 'TOMBSTONE':
      return flatAnswer('SUCCESS', `nothing was issued under ${id}; already marked`)
    case 'REJECTED':
      return flatAnswer('SUCCESS', `issuing ${id} was refused; nothing to reverse`)
    case 'REVERSED':
      return flatAnswer('SUCCESS', `issuing ${id} is already reversed`)
    case 'ISSUED':
      return reverseIssued(trx, issuing, now)
  }
}

async function reverseIssued(trx: Transaction<Database>, issuing: IssuingRow, now: number): Promise<Answer> {
  const id = issuing.request_id
  const used = await trx
    .selectFrom('instances')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('issuing_id', '=', id)
    .where('state', '=', 'USED')
    .executeTakeFirstOrThrow()
  if (Number(used.n) > 0) return usedAnswer(id, `${used.n} of its ${issuing.quantity} benefits`)

  const quantity = issuing.quantity!
  const reversed = await trx
    .updateTable('instances')
    .set({ state: 'REVERSED', reversed_at: now })
    .where('issuing_id', '=', id)
    .where('state', '=', 'ACTIVATED')
    .executeTakeFirst()
  if (Number(reversed.numUpdatedRows) !== quantity) throw new UsedMeanwhile('some of its benefits')

  const template = await trx
    .updateTable('templates')
    .set({ issued_quantity: sql`issued_quantity - ${quantity}`, updated_at: now })
    .where('id', '=', issuing.template_id!)
    .returning('per_user_limit')
    .executeTakeFirst()
  // issueBenefit keeps a per-user count only for templates with a limit, and a
  // template's limit never changes after creation (see takeUserAllowance in issue.ts).
  if (template && template.per_user_limit !== null) {
    await trx
      .updateTable('user_template_counts')
      .set({ issued: sql`issued - ${quantity}` })
      .where('template_id', '=', issuing.template_id!)
      .where('user_id', '=', issuing.user_id!)
      .execute()
  }
  await trx.updateTable('issuings').set({ state: 'REVERSED', reversed_at: now }).where('request_id', '=', id).execute()
  return flatAnswer('SUCCESS', 'success')
}

function usedAnswer(id: string, which: string): Answer {
  return flatAnswer('BIZ_ERROR_NO_RETRY', `issuing ${id} cannot be reversed: ${which} already used; nothing changed`)
}

/** The optional fields of the reversal that contradict the issuing (protocol.md §6.6, ours). */
function mismatchOf(issuing: IssuingRow, request: ReverseBenefitIssueRequest): string[] | undefined {
  const differs: string[] = []
  if (request.userId !== undefined && issuing.user_id !== null && request.userId !== issuing.user_id) differs.push('userId')
  if (request.benefitTemplateId !== undefined && issuing.template_id !== null && request.benefitTemplateId !== issuing.template_id) {
    differs.push('benefitTemplateId')
  }
  if (request.quantity !== undefined && issuing.quantity !== null && request.quantity !== issuing.quantity) differs.push('quantity')
  return differs.length ? differs : undefined
}
