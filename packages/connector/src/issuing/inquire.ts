import type { InquireBenefitIssueRequest } from '@benefitkit/shared'
import type { Db } from '../db/open.js'
import { flatAnswer, type Answer } from '../platform-api/answer.js'
import { detailOf } from './details.js'

/**
 * inquireBenefitIssue (protocol.md §6.7): every instance of an issuing with its
 * status now (USED, REVERSED, EXPIRED when ACTIVATED past its expireTime).
 *
 * Ids under which nothing was ever issued — never seen, reversed before they
 * arrived (TOMBSTONE), or refused with an F answer (REJECTED) — answer
 * ISSUE_REQUEST_ID_NOT_EXIST: the platform then rightly treats the issue as
 * needing no reversal, and the message says which case it was.
 */

export interface InquireDeps {
  db: Db
  now: () => number
}

export async function inquireBenefitIssue(deps: InquireDeps, request: InquireBenefitIssueRequest): Promise<Answer> {
  const id = request.benefitIssueRequestId
  const now = deps.now()
  const issuing = await deps.db
    .selectFrom('issuings')
    .select(['state', 'answer_json'])
    .where('request_id', '=', id)
    .executeTakeFirst()
  if (!issuing) return flatAnswer('ISSUE_REQUEST_ID_NOT_EXIST', `no issuing ${id}`)
  if (issuing.state === 'TOMBSTONE') {
    return flatAnswer('ISSUE_REQUEST_ID_NOT_EXIST', `nothing was issued under ${id}: it was reversed before it arrived`)
  }
  if (issuing.state === 'REJECTED') {
    return flatAnswer('ISSUE_REQUEST_ID_NOT_EXIST', `nothing was issued under ${id}: it was refused (${messageOf(issuing.answer_json)})`)
  }

  const instances = await deps.db
    .selectFrom('instances')
    .select(['id', 'template_id', 'state', 'code', 'pin', 'url', 'activate_time', 'expire_time', 'expire_at', 'amount_currency', 'amount_value'])
    .where('issuing_id', '=', id)
    .execute()
  // Same order as the issue answer listed them, so the platform can compare.
  const order = orderOf(issuing.answer_json)
  instances.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0))
  return flatAnswer('SUCCESS', 'success', { benefitDetails: instances.map((i) => detailOf(i, now)) })
}

function parsed(answerJson: string | null): { resultMessage?: string; benefitDetails?: Array<{ benefitInstanceId: string }> } {
  try {
    return answerJson ? (JSON.parse(answerJson) as ReturnType<typeof parsed>) : {}
  } catch {
    return {}
  }
}

function messageOf(answerJson: string | null): string {
  return parsed(answerJson).resultMessage ?? 'no reason stored'
}

function orderOf(answerJson: string | null): Map<string, number> {
  return new Map((parsed(answerJson).benefitDetails ?? []).map((d, i) => [d.benefitInstanceId, i]))
}
