import type { Db } from '../db/open.js'
import type { OutboxWaker } from '../context.js'
import { enqueueOutbox } from '../outbox/enqueue.js'
import { insertPoolCodes } from './code-pool.js'
import { TemplateError } from './errors.js'
import { findTemplate, poolStats, templateView, type TemplateView } from './repository.js'
import { syncBodyOf, templateRowOf } from './sync-body.js'
import { parseTemplateInput } from './template-input.js'

/**
 * Where templates are written: the database, and optionally the outbox worker
 * to wake after the commit. A ConnectorContext fits; the CLI passes `{ db }`.
 */
export interface TemplateStore {
  db: Db
  outbox?: OutboxWaker
  now?: () => number
}

export interface CreateTemplateOptions {
  /**
   * Keep the template local (DRAFT, no outbox row) so it can be reviewed and
   * its pool filled first; `queueTemplateSync` (`templates sync ID`) sends it.
   * Once synced, clientCode, content and budget are final (protocol.md §6.1).
   */
  draft?: boolean
  /** Folder a relative `codesFile` is read from (the template file's). */
  baseDir?: string
  /** Only the CLI should allow `codesFile`: an HTTP caller must not name files on this machine. */
  allowCodesFile?: boolean
}

export interface CreatedTemplate {
  template: TemplateView
  benefitSyncRequestId: string
  /** Whether the syncBenefit was put in the outbox (false with `draft`). */
  queued: boolean
  outboxId: number | null
  /** Size of the imported code pool. */
  codes: number
  warnings: string[]
}

/**
 * Creates a template from a template file's JSON value (product.md): validates
 * it (every problem listed, as a TemplateError), then in one transaction stores
 * the template (DRAFT), its code pool and — unless `draft` — the syncBenefit
 * in the outbox, so the template never exists without the call that syncs it.
 */
export async function createTemplate(store: TemplateStore, input: unknown, options: CreateTemplateOptions = {}): Promise<CreatedTemplate> {
  const now = store.now?.() ?? Date.now()
  const parsed = parseTemplateInput(input, {
    now,
    ...(options.baseDir !== undefined ? { baseDir: options.baseDir } : {}),
    allowCodesFile: options.allowCodesFile ?? false,
  })
  if (!parsed.ok) throw new TemplateError('invalid', parsed.problems)
  const { request, codes, warnings } = parsed.value
  const row = templateRowOf(request, now)

  const outboxId = await store.db.transaction().execute(async (trx) => {
    if (await findTemplate(trx, row.id)) {
      throw new TemplateError('conflict', [`benefitTemplateId: ${row.id} already exists; choose another id or leave it out`])
    }
    await trx.insertInto('templates').values(row).execute()
    await insertPoolCodes(trx, row.id, codes)
    if (options.draft) return null
    return enqueueOutbox(trx, {
      api: 'syncBenefit',
      idempotencyId: request.benefitSyncRequestId,
      body: syncBodyOf(row),
      orderingKey: row.id,
      now,
    })
  })
  if (outboxId !== null) store.outbox?.wake()

  const stored = await findTemplate(store.db, row.id)
  return {
    template: templateView(stored!, await poolStats(store.db, row.id)),
    benefitSyncRequestId: request.benefitSyncRequestId,
    queued: outboxId !== null,
    outboxId,
    codes: codes.length,
    warnings,
  }
}

/**
 * Queues the syncBenefit of a template created with `draft` (`templates sync ID`).
 * Idempotent: a template already queued answers `queued: false` and changes nothing.
 */
export async function queueTemplateSync(store: TemplateStore, templateId: string): Promise<{ queued: boolean; outboxId: number | null }> {
  const now = store.now?.() ?? Date.now()
  const outboxId = await store.db.transaction().execute(async (trx) => {
    const row = await findTemplate(trx, templateId)
    if (!row) throw new TemplateError('not-found', [`no template ${templateId}`])
    const existing = await trx
      .selectFrom('outbox')
      .select('id')
      .where('api', '=', 'syncBenefit')
      .where('idempotency_id', '=', row.sync_request_id)
      .executeTakeFirst()
    if (existing) return null
    if (row.state !== 'DRAFT') {
      throw new TemplateError('conflict', [`template ${templateId} is ${row.state}; only a DRAFT can be synced`])
    }
    if (row.end_at <= now) {
      throw new TemplateError('conflict', [`template ${templateId}: benefitEndTime ${row.end_time} has passed; no one could collect it`])
    }
    return enqueueOutbox(trx, {
      api: 'syncBenefit',
      idempotencyId: row.sync_request_id,
      body: syncBodyOf(row),
      orderingKey: row.id,
      now,
    })
  })
  if (outboxId !== null) store.outbox?.wake()
  return { queued: outboxId !== null, outboxId }
}
