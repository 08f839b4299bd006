import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { defineCommand } from 'citty'
import { TEMPLATE_STATES, type TemplateState } from '../db/schema.js'
import { importCodes } from '../templates/code-pool.js'
import { createTemplate, queueTemplateSync } from '../templates/create.js'
import { isTemplateError } from '../templates/errors.js'
import { findTemplate, isSyncQueued, listTemplates, poolStats, templateView, type TemplateView } from '../templates/repository.js'
import { CliFailure, configArgs, databaseFileFrom, EXIT_USAGE, output, table, withDatabase } from './common.js'

/**
 * `benefitkit templates create --file T.json [--draft] | list | show ID | sync ID
 * | import-codes ID --file CODES`. Only the database is needed (no keys), so
 * these work on the daemon's machine while it runs; the daemon's outbox worker
 * picks up a queued syncBenefit on its next poll.
 */

/** Template errors become the CLI's "every problem listed, exit 1". */
async function orFail<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (isTemplateError(error)) throw new CliFailure(error.message)
    throw error
  }
}

function readJsonFile(file: string): unknown {
  let text: string
  try {
    text = readFileSync(resolve(file), 'utf8')
  } catch (error) {
    throw new CliFailure(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new CliFailure(`${file} is not valid JSON: ${(error as Error).message}`)
  }
}

function describe(view: TemplateView): string {
  const lines = [
    `${view.benefitTemplateId}  ${view.state}  "${view.benefitTitle}"`,
    `  client ${view.clientCode}, ${view.codeType}, product ${view.benefitProductCode}`,
    `  collect ${view.benefitBeginTime} → ${view.benefitEndTime}`,
    `  valid ${
      view.benefitValidPeriod.type === 'ABSOLUTE'
        ? `${view.benefitValidPeriod.validBeginTime} → ${view.benefitValidPeriod.validEndTime}`
        : `${view.benefitValidPeriod.validDays} days from issue`
    }`,
    `  stock ${view.stockLeft} left of ${view.totalQuantity}${view.perUserLimit !== null ? `, at most ${view.perUserLimit} per user` : ''}`,
    `  sync request ${view.benefitSyncRequestId}`,
  ]
  if (view.pool && view.pool.total > 0) lines.push(`  code pool ${view.pool.free} free of ${view.pool.total}`)
  if (view.syncFailCode) lines.push(`  sync failed: ${view.syncFailCode}${view.syncFailReason ? ` — ${view.syncFailReason}` : ''}`)
  return lines.join('\n')
}

const create = defineCommand({
  meta: { name: 'create', description: 'Create a template from a template file and queue its syncBenefit' },
  args: {
    ...configArgs,
    file: { type: 'string', description: 'template file (JSON): the syncBenefit fields, codeType, optional codes/codesFile', valueHint: 'T.json', required: true },
    draft: { type: 'boolean', description: 'keep it local (DRAFT, not queued); send later with `templates sync ID`', default: false },
  },
  async run({ args }) {
    const input = readJsonFile(args.file)
    const file = databaseFileFrom(args)
    await withDatabase(file, async ({ db }) => {
      const created = await orFail(() =>
        createTemplate({ db }, input, { draft: args.draft, baseDir: dirname(resolve(args.file)), allowCodesFile: true }),
      )
      output(args.json, created, () =>
        [
          ...created.warnings.map((w) => `warning: ${w}`),
          `Created template ${created.template.benefitTemplateId} (${created.template.state})${created.codes ? ` with ${created.codes} pool codes` : ''}.`,
          created.queued
            ? `syncBenefit ${created.benefitSyncRequestId} is queued; the connector sends it and the template becomes SYNCED once the platform approves.`
            : `Kept as a local draft. Send it with: benefitkit templates sync ${created.template.benefitTemplateId}`,
        ].join('\n'),
      )
    })
  },
})

const list = defineCommand({
  meta: { name: 'list', description: 'List templates, newest first' },
  args: {
    ...configArgs,
    state: { type: 'string', description: `only this state (${TEMPLATE_STATES.join(', ')})`, valueHint: 'STATE' },
  },
  async run({ args }) {
    const state = args.state?.toUpperCase()
    if (state !== undefined && !(TEMPLATE_STATES as readonly string[]).includes(state)) {
      throw new CliFailure(`--state must be one of ${TEMPLATE_STATES.join(', ')}`, EXIT_USAGE)
    }
    await withDatabase(databaseFileFrom(args), async ({ db }) => {
      const rows = await listTemplates(db, state ? { state: state as TemplateState } : {})
      const views = rows.map((row) => templateView(row))
      output(args.json, views, () =>
        table(
          views.map((v) => ({ id: v.benefitTemplateId, state: v.state, type: v.codeType, stock: `${v.stockLeft}/${v.totalQuantity}`, ends: v.benefitEndTime, title: v.benefitTitle })),
          ['id', 'state', 'type', 'stock', 'ends', 'title'],
        ),
      )
    })
  },
})

const templateIdArg = { id: { type: 'positional', description: 'benefitTemplateId', required: true } } as const

const show = defineCommand({
  meta: { name: 'show', description: 'Show one template with its stock, code pool and sync state' },
  args: { ...configArgs, ...templateIdArg },
  async run({ args }) {
    await withDatabase(databaseFileFrom(args), async ({ db }) => {
      const row = await findTemplate(db, args.id)
      if (!row) throw new CliFailure(`no template ${args.id} (see: benefitkit templates list)`)
      const view = { ...templateView(row, await poolStats(db, row.id)), syncQueued: await isSyncQueued(db, row.sync_request_id) }
      output(args.json, view, () => describe(view))
    })
  },
})

const sync = defineCommand({
  meta: { name: 'sync', description: 'Queue the syncBenefit of a template created with --draft' },
  args: { ...configArgs, ...templateIdArg },
  async run({ args }) {
    await withDatabase(databaseFileFrom(args), async ({ db }) => {
      const result = await orFail(() => queueTemplateSync({ db }, args.id))
      output(args.json, result, () =>
        result.queued ? `syncBenefit for ${args.id} is queued.` : `syncBenefit for ${args.id} was already queued; nothing changed.`,
      )
    })
  },
})

const importCodesCommand = defineCommand({
  meta: { name: 'import-codes', description: 'Add codes to a template pool (one per line, `code,pin` for CODE_AND_PIN)' },
  args: {
    ...configArgs,
    ...templateIdArg,
    file: { type: 'string', description: 'codes file', valueHint: 'CODES.txt', required: true },
  },
  async run({ args }) {
    let text: string
    try {
      text = readFileSync(resolve(args.file), 'utf8')
    } catch (error) {
      throw new CliFailure(`cannot read ${args.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
    }
    await withDatabase(databaseFileFrom(args), async ({ db }) => {
      const result = await orFail(() => importCodes({ db }, args.id, { text, source: args.file }))
      output(args.json, result, () => `Imported ${result.imported} codes into ${args.id}; the pool now holds ${result.poolTotal}.`)
    })
  },
})

export default defineCommand({
  meta: { name: 'templates', description: 'Create, list and inspect benefit templates' },
  subCommands: { create, list, show, sync, 'import-codes': importCodesCommand },
})
