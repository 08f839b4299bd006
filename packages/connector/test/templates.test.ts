import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SyncBenefitRequest } from '@benefitkit/shared'
import { migrateToLatest, openDatabase, type OpenedDatabase } from '../src/db/open.js'
import { importCodes } from '../src/templates/code-pool.js'
import { createTemplate, queueTemplateSync } from '../src/templates/create.js'
import { isTemplateError, type TemplateError } from '../src/templates/errors.js'
import { applySyncOutcome } from '../src/templates/sync-state.js'
import { templateFile } from './support/issuing.js'

/**
 * Template creation as the CLI, the admin API and `pnpm start` call it: the
 * template and its syncBenefit outbox row in one transaction, every problem of
 * a bad template listed, code pools checked against the stock and each other.
 */

async function withDb<T>(fn: (database: OpenedDatabase, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-templates-'))
  const database = openDatabase(join(dir, 'db.sqlite'), { synchronous: 'NORMAL' })
  try {
    const migration = await migrateToLatest(database.db)
    if (migration.error) throw migration.error
    return await fn(database, dir)
  } finally {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function refusal(work: Promise<unknown>): Promise<TemplateError> {
  try {
    await work
  } catch (error) {
    if (isTemplateError(error)) return error
    throw error
  }
  throw new Error('expected a TemplateError')
}

function count(database: OpenedDatabase, table: string): number {
  return (database.sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n
}

test('createTemplate stores a DRAFT and exactly one syncBenefit outbox row whose body is the validated request, then wakes the outbox', async () => {
  await withDb(async (database) => {
    let wakes = 0
    const created = await createTemplate({ db: database.db, outbox: { wake: () => void wakes++ } }, templateFile({ benefitTemplateId: 'tpl_spring' }))
    assert.is(created.template.benefitTemplateId, 'tpl_spring')
    assert.is(created.template.state, 'DRAFT')
    assert.ok(created.queued)
    assert.match(created.benefitSyncRequestId, /^sync_tpl_spring_[0-9a-z]{8}$/)
    assert.is(wakes, 1)

    const rows = database.sqlite.prepare('select * from outbox').all() as Array<Record<string, unknown>>
    assert.is(rows.length, 1)
    const row = rows[0]!
    assert.is(row.api, 'syncBenefit')
    assert.is(row.idempotency_id, created.benefitSyncRequestId)
    assert.is(row.ordering_key, 'tpl_spring')
    assert.is(row.state, 'pending')
    const body = JSON.parse(String(row.body))
    const parsed = SyncBenefitRequest.safeParse(body)
    assert.ok(parsed.success, 'the body passes the shared schema')
    assert.equal(body, { benefitSyncRequestId: created.benefitSyncRequestId, ...templateFile({ benefitTemplateId: 'tpl_spring' }), benefitBeginTime: body.benefitBeginTime, benefitEndTime: body.benefitEndTime })
    assert.equal(Object.keys(body), [
      'benefitSyncRequestId',
      'benefitTemplateId',
      'benefitProductCode',
      'benefitTitle',
      'benefitBeginTime',
      'benefitEndTime',
      'benefitValidPeriod',
      'clientCode',
      'benefitContent',
      'benefitBudget',
    ])
  })
})

test('a template without benefitTemplateId gets a generated one; an existing id is refused and nothing is written', async () => {
  await withDb(async (database) => {
    const created = await createTemplate({ db: database.db }, templateFile())
    assert.match(created.template.benefitTemplateId, /^tpl_[0-9a-z]{20}$/)
    await createTemplate({ db: database.db }, templateFile({ benefitTemplateId: 'tpl_taken' }))
    const error = await refusal(createTemplate({ db: database.db }, templateFile({ benefitTemplateId: 'tpl_taken', benefitTitle: 'other' })))
    assert.is(error.kind, 'conflict')
    assert.match(error.message, /tpl_taken already exists/)
    assert.is(count(database, 'templates'), 2)
    assert.is(count(database, 'outbox'), 2)
  })
})

test('an invalid template is refused with every problem named by field, and nothing is written', async () => {
  await withDb(async (database) => {
    const error = await refusal(
      createTemplate(
        { db: database.db },
        {
          benefitSyncRequestId: 'mine',
          benefitTitle: '',
          benefitBeginTime: '2026-11-24 08:00',
          benefitEndTime: '2026-11-25T08:00:00+08:00',
          benefitValidPeriod: { type: 'RELATIVE' },
          clientCode: 'alipay',
          benefitContent: { codeTyp: 'CODE' },
          benefitBudget: { totalQuantity: 0 },
          colour: 'red',
        },
      ),
    )
    assert.is(error.kind, 'invalid')
    const expected = [
      /^benefitSyncRequestId: the connector generates it/,
      /^colour: unknown field$/,
      /^benefitContent\.codeTyp: unknown field$/,
      /^benefitProductCode: is required$/,
      /^benefitTitle: must not be empty$/,
      /^benefitBeginTime: must be ISO 8601/,
      /^benefitValidPeriod\.validDays: is required$/,
      /^clientCode: must be an upper-case client code/,
      /^benefitContent\.codeType: is required$/,
      /^benefitBudget\.totalQuantity: /,
    ]
    for (const pattern of expected) assert.ok(error.problems.some((p) => pattern.test(p)), `${pattern} in ${JSON.stringify(error.problems)}`)
    assert.is(count(database, 'templates'), 0)
    assert.is(count(database, 'outbox'), 0)
  })
})

test('business rules: a window already over, validity ending before collection starts; unknown clientCode only warns', async () => {
  await withDb(async (database) => {
    const now = Date.now()
    const error = await refusal(
      createTemplate(
        { db: database.db },
        templateFile({
          benefitBeginTime: new Date(now - 3 * 86_400_000).toISOString(),
          benefitEndTime: new Date(now - 86_400_000).toISOString(),
          benefitValidPeriod: { type: 'ABSOLUTE', validBeginTime: new Date(now - 5 * 86_400_000).toISOString(), validEndTime: new Date(now - 4 * 86_400_000).toISOString() },
        }),
      ),
    )
    assert.ok(error.problems.some((p) => /^benefitEndTime: is in the past/.test(p)))
    assert.ok(error.problems.some((p) => /^benefitValidPeriod\.validEndTime: must be after benefitBeginTime/.test(p)))
    const created = await createTemplate({ db: database.db }, templateFile({ clientCode: 'NEWAPP' }))
    assert.ok(created.warnings.some((w) => /NEWAPP/.test(w)))
  })
})

test('--draft keeps the template local; queueTemplateSync queues it once with the same body createTemplate would have sent', async () => {
  await withDb(async (database) => {
    const store = { db: database.db }
    const draft = await createTemplate(store, templateFile({ benefitTemplateId: 'tpl_draft' }), { draft: true })
    assert.not.ok(draft.queued)
    assert.is(count(database, 'outbox'), 0)
    const queued = await queueTemplateSync(store, 'tpl_draft')
    assert.ok(queued.queued)
    const again = await queueTemplateSync(store, 'tpl_draft')
    assert.not.ok(again.queued)
    assert.is(count(database, 'outbox'), 1)
    const body = JSON.parse((database.sqlite.prepare('select body from outbox').get() as { body: string }).body)
    assert.is(body.benefitSyncRequestId, draft.benefitSyncRequestId)
    assert.ok(SyncBenefitRequest.safeParse(body).success)
    assert.is((await refusal(queueTemplateSync(store, 'tpl_none'))).kind, 'not-found')
  })
})

test('code pools: inline or from a file (CLI only), checked against the code type, duplicates, the stock and other pools', async () => {
  await withDb(async (database, dir) => {
    const store = { db: database.db }
    const pinned = { benefitContent: { codeType: 'CODE_AND_PIN' } }
    writeFileSync(join(dir, 'codes.txt'), '# merchant batch 7\nA-1,1111\r\nA-2,2222\n\nA-3,3333\n')
    const fromFile = await createTemplate(store, templateFile({ ...pinned, codesFile: 'codes.txt' }), { baseDir: dir, allowCodesFile: true })
    assert.is(fromFile.codes, 3)
    assert.equal(fromFile.template.pool, { total: 3, free: 3 })
    assert.equal(
      database.sqlite.prepare('select code, pin, seq from template_codes order by seq').all(),
      [
        { code: 'A-1', pin: '1111', seq: 1 },
        { code: 'A-2', pin: '2222', seq: 2 },
        { code: 'A-3', pin: '3333', seq: 3 },
      ],
    )

    const noFiles = await refusal(createTemplate(store, templateFile({ ...pinned, codesFile: 'codes.txt' }), { baseDir: dir }))
    assert.ok(noFiles.problems.some((p) => /^codesFile: not accepted here/.test(p)), 'an API caller cannot name files')

    const bad = await refusal(
      createTemplate(
        store,
        templateFile({
          ...pinned,
          benefitBudget: { totalQuantity: 3 },
          codes: [{ code: 'B-1' }, { code: 'B 2', pin: '1' }, { code: 'B-3', pin: '3' }, { code: 'B-3', pin: '4' }],
        }),
      ),
    )
    assert.ok(bad.problems.some((p) => /^codes\[0\]\.pin: is required for codeType CODE_AND_PIN$/.test(p)))
    assert.ok(bad.problems.some((p) => /^codes\[1\]\.code: must be 1–256 printable characters/.test(p)))
    assert.ok(bad.problems.some((p) => /^codes\[3\]\.code: "B-3" appears twice$/.test(p)))
    assert.ok(bad.problems.some((p) => /4 codes but room for only 3/.test(p)))

    const url = await refusal(createTemplate(store, templateFile({ benefitContent: { codeType: 'URL' }, codes: ['U-1'] })))
    assert.ok(url.problems.some((p) => /URL benefits use generated links/.test(p)))

    const taken = await refusal(createTemplate(store, templateFile({ ...pinned, codes: [{ code: 'A-2', pin: '9' }] })))
    assert.is(taken.kind, 'conflict')
    assert.match(taken.message, /"A-2": already in another pool/)
    assert.is(count(database, 'templates'), 1, 'refused templates left nothing behind')
    assert.is(count(database, 'template_codes'), 3)
  })
})

test('import-codes adds to an existing pool within the stock left; refused for FAILED and unknown templates', async () => {
  await withDb(async (database) => {
    const store = { db: database.db }
    const created = await createTemplate(store, templateFile({ benefitBudget: { totalQuantity: 3 }, codes: ['C-1'] }))
    const id = created.template.benefitTemplateId
    const result = await importCodes(store, id, { text: 'C-2\nC-3\n', source: 'more.txt' })
    assert.equal(result, { imported: 2, poolTotal: 3 })
    assert.equal(
      (database.sqlite.prepare('select code from template_codes order by seq').all() as Array<{ code: string }>).map((r) => r.code),
      ['C-1', 'C-2', 'C-3'],
    )
    const full = await refusal(importCodes(store, id, { codes: ['C-4'] }))
    assert.match(full.message, /room for only 0/)
    const withPin = await refusal(importCodes(store, id, { text: 'C-5,1234' }))
    assert.match(withPin.message, /codeType CODE takes no PIN/)

    const failed = await createTemplate(store, templateFile())
    await applySyncOutcome(database.db, { syncRequestId: failed.benefitSyncRequestId, syncStatus: 'FAIL', syncFailCode: 'AUDIT_FAIL', now: Date.now() })
    assert.is((await refusal(importCodes(store, failed.template.benefitTemplateId, { codes: ['D-1'] }))).kind, 'conflict')
    assert.is((await refusal(importCodes(store, 'tpl_none', { codes: ['D-1'] }))).kind, 'not-found')
    assert.is(count(database, 'template_codes'), 3)
  })
})

test.run()
