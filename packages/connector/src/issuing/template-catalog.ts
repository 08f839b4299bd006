import { offsetOfProtocolTime, type Amount, type BenefitContent, type BenefitValidPeriod, type CodeType } from '@benefitkit/shared'
import type { Db } from '../db/open.js'
import type { TemplateRow, TemplateState } from '../db/schema.js'

/**
 * What issuing needs to know about a template, parsed once. Stock
 * (`issued_quantity`, `total_quantity`) is deliberately absent: it is only ever
 * read and changed by conditional UPDATEs inside the issuing transaction.
 */
export interface IssuableTemplate {
  readonly id: string
  readonly state: TemplateState
  readonly clientCode: string
  readonly codeType: CodeType
  readonly beginTime: string
  readonly endTime: string
  readonly beginAt: number
  readonly endAt: number
  /** The offset benefitBeginTime was written in; instance times are written in it too. */
  readonly offsetMinutes: number
  readonly validity: BenefitValidPeriod
  /** For ABSOLUTE validity: the window in epoch ms. */
  readonly validBeginAt?: number
  readonly validEndAt?: number
  readonly amount?: Amount
  readonly perUserLimit: number | null
}

type CatalogRow = Pick<
  TemplateRow,
  'id' | 'state' | 'client_code' | 'code_type' | 'begin_time' | 'end_time' | 'begin_at' | 'end_at' | 'valid_period_json' | 'content_json' | 'per_user_limit'
>

export function issuableTemplateOf(row: CatalogRow): IssuableTemplate {
  const validity = JSON.parse(row.valid_period_json) as BenefitValidPeriod
  const content = JSON.parse(row.content_json) as BenefitContent
  return Object.freeze({
    id: row.id,
    state: row.state,
    clientCode: row.client_code,
    codeType: row.code_type,
    beginTime: row.begin_time,
    endTime: row.end_time,
    beginAt: Number(row.begin_at),
    endAt: Number(row.end_at),
    offsetMinutes: offsetOfProtocolTime(row.begin_time),
    validity,
    ...(validity.type === 'ABSOLUTE'
      ? { validBeginAt: Date.parse(validity.validBeginTime), validEndAt: Date.parse(validity.validEndTime) }
      : {}),
    ...(content.amount ? { amount: content.amount } : {}),
    perUserLimit: row.per_user_limit,
  })
}

/** Caching more than this many synced templates is not worth the memory; the map starts over. */
const MAX_CACHED = 10_000

/**
 * How long a template whose pool ran dry skips the pool query. Codes imported
 * meanwhile (`templates import-codes`, possibly from another process) are
 * handed out from the next check on — at most this late.
 */
const POOL_RECHECK_MS = 5_000

/**
 * Templates by id for the issuing hot path. A SYNCED template is final — its
 * content, budget and window never change (protocol.md §6.1) — so it is read
 * from the database once and kept; any other state is read every time, because
 * a notifyBenefitSync may move it at any moment.
 */
export class TemplateCatalog {
  readonly #db: Db
  readonly #synced = new Map<string, IssuableTemplate>()
  readonly #poolEmptyUntil = new Map<string, number>()

  constructor(db: Db) {
    this.#db = db
  }

  async get(id: string): Promise<IssuableTemplate | undefined> {
    const cached = this.#synced.get(id)
    if (cached) return cached
    const row = await this.#db
      .selectFrom('templates')
      .select(['id', 'state', 'client_code', 'code_type', 'begin_time', 'end_time', 'begin_at', 'end_at', 'valid_period_json', 'content_json', 'per_user_limit'])
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) return undefined
    const template = issuableTemplateOf(row)
    if (template.state === 'SYNCED') {
      if (this.#synced.size >= MAX_CACHED) this.#synced.clear()
      this.#synced.set(id, template)
    }
    return template
  }

  /** Whether issuing may skip looking for pool codes: URL benefits have none; others ran dry recently. */
  poolKnownEmpty(template: IssuableTemplate): boolean {
    if (template.codeType === 'URL') return true
    const until = this.#poolEmptyUntil.get(template.id)
    return until !== undefined && performance.now() < until
  }

  markPoolEmpty(template: IssuableTemplate): void {
    if (this.#poolEmptyUntil.size >= MAX_CACHED) this.#poolEmptyUntil.clear()
    this.#poolEmptyUntil.set(template.id, performance.now() + POOL_RECHECK_MS)
  }
}
