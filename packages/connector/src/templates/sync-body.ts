import type { BenefitContent, BenefitValidPeriod, SyncBenefitRequest } from '@benefitkit/shared'
import type { TemplateRow } from '../db/schema.js'

/**
 * The two directions between a syncBenefit request and a `templates` row.
 * The row keeps every field as sent (times as their strings, nested objects as
 * JSON), so the body rebuilt from it is the body the template was validated as —
 * whether it is queued at creation or later by `templates sync`.
 */

export function templateRowOf(request: SyncBenefitRequest, now: number): TemplateRow {
  return {
    id: request.benefitTemplateId,
    state: 'DRAFT',
    sync_request_id: request.benefitSyncRequestId,
    product_code: request.benefitProductCode,
    title: request.benefitTitle,
    client_code: request.clientCode,
    begin_time: request.benefitBeginTime,
    end_time: request.benefitEndTime,
    begin_at: Date.parse(request.benefitBeginTime),
    end_at: Date.parse(request.benefitEndTime),
    valid_period_json: JSON.stringify(request.benefitValidPeriod),
    content_json: JSON.stringify(request.benefitContent),
    code_type: request.benefitContent.codeType,
    total_quantity: request.benefitBudget.totalQuantity,
    issued_quantity: 0,
    per_user_limit: request.benefitBudget.perUserLimit ?? null,
    sync_fail_code: null,
    sync_fail_reason: null,
    created_at: now,
    updated_at: now,
    synced_at: null,
  }
}

type SyncFields = Pick<
  TemplateRow,
  | 'id'
  | 'sync_request_id'
  | 'product_code'
  | 'title'
  | 'client_code'
  | 'begin_time'
  | 'end_time'
  | 'valid_period_json'
  | 'content_json'
  | 'total_quantity'
  | 'per_user_limit'
>

/** The syncBenefit request a template row stands for, fields in protocol order. */
export function syncRequestOf(row: SyncFields): SyncBenefitRequest {
  return {
    benefitSyncRequestId: row.sync_request_id,
    benefitTemplateId: row.id,
    benefitProductCode: row.product_code,
    benefitTitle: row.title,
    benefitBeginTime: row.begin_time,
    benefitEndTime: row.end_time,
    benefitValidPeriod: JSON.parse(row.valid_period_json) as BenefitValidPeriod,
    clientCode: row.client_code,
    benefitContent: JSON.parse(row.content_json) as BenefitContent,
    benefitBudget:
      row.per_user_limit === null
        ? { totalQuantity: row.total_quantity }
        : { totalQuantity: row.total_quantity, perUserLimit: row.per_user_limit },
  }
}

/** The exact bytes the outbox sends, on every attempt. */
export function syncBodyOf(row: SyncFields): string {
  return JSON.stringify(syncRequestOf(row))
}
