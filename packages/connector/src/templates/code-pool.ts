import type { Transaction } from 'kysely'
import type { CodeType } from '@benefitkit/shared'
import type { Db } from '../db/open.js'
import type { Database } from '../db/schema.js'
import { TemplateError } from './errors.js'
import { checkPoolCodes, parseCodesArray, parseCodesText, type PoolCode } from './pool-codes.js'

/**
 * Storing a template's code pool. A pool code becomes an instance's `code`,
 * which is unique across all instances, so a code already in any pool or
 * already issued is refused here rather than failing an issueBenefit later.
 */

/** Rows per INSERT: far below SQLite's bound-parameter limit (4 columns each). */
const CHUNK = 500

/** Codes among `codes` that some pool or some instance already has. */
async function takenCodes(trx: Transaction<Database>, codes: readonly string[]): Promise<string[]> {
  const taken: string[] = []
  for (let i = 0; i < codes.length; i += CHUNK) {
    const chunk = codes.slice(i, i + CHUNK)
    const pooled = await trx.selectFrom('template_codes').select('code').where('code', 'in', chunk).execute()
    const issued = await trx.selectFrom('instances').select('code').where('code', 'in', chunk).execute()
    taken.push(...pooled.map((r) => r.code), ...issued.map((r) => r.code))
  }
  return [...new Set(taken)]
}

/**
 * Adds codes to a template's pool inside the caller's transaction, after the
 * pool rules were checked. Codes keep their order (seq) and are used first to last.
 */
export async function insertPoolCodes(trx: Transaction<Database>, templateId: string, codes: readonly PoolCode[]): Promise<void> {
  if (codes.length === 0) return
  const taken = await takenCodes(trx, codes.map((c) => c.code))
  if (taken.length) {
    const shown = taken.slice(0, 20).map((c) => `code ${JSON.stringify(c)}: already in another pool or already issued`)
    if (taken.length > 20) shown.push(`… and ${taken.length - 20} more codes already in use`)
    throw new TemplateError('conflict', shown, 'some codes are already in use')
  }
  const last = await trx
    .selectFrom('template_codes')
    .select((eb) => eb.fn.max<number | null>('seq').as('seq'))
    .where('template_id', '=', templateId)
    .executeTakeFirst()
  let seq = Number(last?.seq ?? 0)
  for (let i = 0; i < codes.length; i += CHUNK) {
    const rows = codes.slice(i, i + CHUNK).map((c) => ({
      template_id: templateId,
      code: c.code,
      pin: c.pin ?? null,
      instance_id: null,
      seq: ++seq,
    }))
    await trx.insertInto('template_codes').values(rows).execute()
  }
}

export interface ImportCodesInput {
  /** Inline codes: `[{code, pin?}]` or plain strings. */
  codes?: unknown
  /** The text of a codes file (one per line, `code,pin` for CODE_AND_PIN), named `source` in messages. */
  text?: string
  source?: string
}

/**
 * `templates import-codes ID --file`: adds codes to an existing template's pool.
 * Allowed in any state but FAILED — the pool is local and never part of the
 * syncBenefit body — as long as the pool stays within the stock that is left.
 * Returns the pool's new size.
 */
export async function importCodes(
  store: { db: Db },
  templateId: string,
  input: ImportCodesInput,
): Promise<{ imported: number; poolTotal: number }> {
  const problems: string[] = []
  const source = input.source ?? 'codes'
  const parsed =
    input.text !== undefined ? parseCodesText(input.text, source, problems) : parseCodesArray(input.codes ?? [], source, problems)
  if (problems.length) throw new TemplateError('invalid', problems, 'the codes are not valid')
  if (parsed.codes.length === 0) throw new TemplateError('invalid', [`${source}: no codes found`], 'no codes to import')

  return store.db.transaction().execute(async (trx) => {
    const template = await trx
      .selectFrom('templates')
      .select(['id', 'state', 'code_type', 'total_quantity', 'issued_quantity'])
      .where('id', '=', templateId)
      .executeTakeFirst()
    if (!template) throw new TemplateError('not-found', [`no template ${templateId}`])
    if (template.state === 'FAILED') {
      throw new TemplateError('conflict', [`template ${templateId} FAILED its sync; codes for it could never be issued`])
    }
    const pool = await trx
      .selectFrom('template_codes')
      .select((eb) => [eb.fn.countAll<number>().as('total'), eb.fn.count<number>('instance_id').as('used')])
      .where('template_id', '=', templateId)
      .executeTakeFirstOrThrow()
    // Free pool codes beyond the stock left could never be handed out.
    const freeCodes = Number(pool.total) - Number(pool.used)
    const room = Math.max(0, template.total_quantity - template.issued_quantity - freeCodes)
    const ruleProblems = checkPoolCodes(parsed.codes, template.code_type as CodeType, room, source, parsed.nameOf)
    if (ruleProblems.length) throw new TemplateError('invalid', ruleProblems, 'the codes do not fit this template')
    await insertPoolCodes(trx, templateId, parsed.codes)
    return { imported: parsed.codes.length, poolTotal: Number(pool.total) + parsed.codes.length }
  })
}
