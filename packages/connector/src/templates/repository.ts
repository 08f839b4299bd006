import type { BenefitContent, BenefitValidPeriod } from '@benefitkit/shared'
import type { Kysely } from 'kysely'
import type { Database, TemplateRow, TemplateState } from '../db/schema.js'

/**
 * Reads of the `templates` table and its code pool, for the CLI, the admin API
 * and tests. Functions take `db` or a transaction as their first argument.
 */

type Reader = Kysely<Database>

export async function findTemplate(db: Reader, id: string): Promise<TemplateRow | undefined> {
  return db.selectFrom('templates').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function findTemplateBySyncRequestId(db: Reader, syncRequestId: string): Promise<TemplateRow | undefined> {
  return db.selectFrom('templates').selectAll().where('sync_request_id', '=', syncRequestId).executeTakeFirst()
}

export interface ListTemplatesOptions {
  state?: TemplateState
  limit?: number
}

/** Newest first. */
export async function listTemplates(db: Reader, options: ListTemplatesOptions = {}): Promise<TemplateRow[]> {
  let query = db.selectFrom('templates').selectAll().orderBy('created_at', 'desc').orderBy('id')
  if (options.state) query = query.where('state', '=', options.state)
  return query.limit(options.limit ?? 1000).execute()
}

export interface PoolStats {
  /** Codes imported. */
  total: number
  /** Codes not yet handed out. */
  free: number
}

export async function poolStats(db: Reader, templateId: string): Promise<PoolStats> {
  const row = await db
    .selectFrom('template_codes')
    .select((eb) => [eb.fn.countAll<number>().as('total'), eb.fn.count<number>('instance_id').as('used')])
    .where('template_id', '=', templateId)
    .executeTakeFirstOrThrow()
  const total = Number(row.total)
  return { total, free: total - Number(row.used) }
}

/** Whether the template's syncBenefit is in the outbox (a `--draft` template is not, until `templates sync`). */
export async function isSyncQueued(db: Reader, syncRequestId: string): Promise<boolean> {
  const row = await db
    .selectFrom('outbox')
    .select('id')
    .where('api', '=', 'syncBenefit')
    .where('idempotency_id', '=', syncRequestId)
    .executeTakeFirst()
  return row !== undefined
}

/** A template as people and JSON clients see it (CLI `--json`, admin API). */
export interface TemplateView {
  benefitTemplateId: string
  state: TemplateState
  benefitSyncRequestId: string
  benefitTitle: string
  benefitProductCode: string
  clientCode: string
  codeType: TemplateRow['code_type']
  benefitBeginTime: string
  benefitEndTime: string
  benefitValidPeriod: BenefitValidPeriod
  benefitContent: BenefitContent
  totalQuantity: number
  issuedQuantity: number
  stockLeft: number
  perUserLimit: number | null
  syncFailCode: string | null
  syncFailReason: string | null
  createdAt: string
  updatedAt: string
  syncedAt: string | null
  pool?: PoolStats
}

export function templateView(row: TemplateRow, pool?: PoolStats): TemplateView {
  return {
    benefitTemplateId: row.id,
    state: row.state,
    benefitSyncRequestId: row.sync_request_id,
    benefitTitle: row.title,
    benefitProductCode: row.product_code,
    clientCode: row.client_code,
    codeType: row.code_type,
    benefitBeginTime: row.begin_time,
    benefitEndTime: row.end_time,
    benefitValidPeriod: JSON.parse(row.valid_period_json) as BenefitValidPeriod,
    benefitContent: JSON.parse(row.content_json) as BenefitContent,
    totalQuantity: row.total_quantity,
    issuedQuantity: row.issued_quantity,
    stockLeft: row.total_quantity - row.issued_quantity,
    perUserLimit: row.per_user_limit,
    syncFailCode: row.sync_fail_code,
    syncFailReason: row.sync_fail_reason,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
    syncedAt: row.synced_at === null ? null : new Date(Number(row.synced_at)).toISOString(),
    ...(pool ? { pool } : {}),
  }
}
