import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import SQLite from 'better-sqlite3'
import { SyncBenefitRequest } from '@benefitkit/shared'
import { templateFile } from './support/issuing.js'

/**
 * `benefitkit templates …` as an operator runs it: a separate process on the
 * database file (BENEFITKIT_DB), exit codes 0 / 1 / 2, problems listed.
 */

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))

interface Run {
  code: number
  stdout: string
  stderr: string
}

function cli(db: string, ...args: string[]): Promise<Run> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', CLI, ...args],
      { env: { ...process.env, BENEFITKIT_DB: db, NO_COLOR: '1' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolvePromise({ code, stdout, stderr })
      },
    )
  })
}

async function withFolder(fn: (dir: string, db: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-cli-'))
  try {
    await fn(dir, join(dir, 'db.sqlite'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function rows(db: string, query: string): Array<Record<string, unknown>> {
  const sqlite = new SQLite(db, { readonly: true })
  try {
    return sqlite.prepare(query).all() as Array<Record<string, unknown>>
  } finally {
    sqlite.close()
  }
}

test('templates create --file writes the template and exactly one outbox row whose body passes SyncBenefitRequest; list and show find it', async () => {
  await withFolder(async (dir, db) => {
    writeFileSync(join(dir, 'codes.txt'), 'M-1,1234\nM-2,5678\n')
    const file = join(dir, 'template.json')
    writeFileSync(file, JSON.stringify(templateFile({ benefitTemplateId: 'tpl_cli', benefitContent: { codeType: 'CODE_AND_PIN' }, codesFile: 'codes.txt' })))
    const created = await cli(db, 'templates', 'create', '--file', file)
    assert.is(created.code, 0, created.stderr)
    assert.match(created.stdout, /Created template tpl_cli \(DRAFT\) with 2 pool codes/)

    const templates = rows(db, 'select id, state, code_type from templates')
    assert.equal(templates, [{ id: 'tpl_cli', state: 'DRAFT', code_type: 'CODE_AND_PIN' }])
    const outbox = rows(db, 'select api, idempotency_id, body from outbox')
    assert.is(outbox.length, 1)
    assert.is(outbox[0]!.api, 'syncBenefit')
    const body = JSON.parse(String(outbox[0]!.body))
    assert.ok(SyncBenefitRequest.safeParse(body).success)
    assert.is(body.benefitSyncRequestId, outbox[0]!.idempotency_id)
    assert.is(body.benefitTemplateId, 'tpl_cli')
    assert.is(rows(db, 'select count(*) as n from template_codes')[0]!.n, 2)

    const listed = await cli(db, 'templates', 'list', '--json')
    assert.is(listed.code, 0, listed.stderr)
    assert.equal(
      JSON.parse(listed.stdout).map((v: { benefitTemplateId: string; state: string }) => [v.benefitTemplateId, v.state]),
      [['tpl_cli', 'DRAFT']],
    )
    const shown = await cli(db, 'templates', 'show', 'tpl_cli')
    assert.is(shown.code, 0, shown.stderr)
    assert.match(shown.stdout, /code pool 2 free of 2/)
    const missing = await cli(db, 'templates', 'show', 'tpl_nope')
    assert.is(missing.code, 1)
    assert.match(missing.stderr, /no template tpl_nope/)
  })
})

test('an invalid template file exits 1 listing every problem, and writes nothing', async () => {
  await withFolder(async (dir, db) => {
    const file = join(dir, 'bad.json')
    writeFileSync(
      file,
      JSON.stringify({
        benefitTitle: '',
        benefitBeginTime: 'tomorrow',
        benefitValidPeriod: { type: 'RELATIVE' },
        clientCode: 'ALIPAY_HK',
        benefitContent: { codeType: 'CODE' },
        benefitBudget: { totalQuantity: 1 },
        codes: ['X-1', 'X-2'],
      }),
    )
    const run = await cli(db, 'templates', 'create', '--file', file)
    assert.is(run.code, 1)
    for (const pattern of [
      /benefitProductCode: is required/,
      /benefitTitle: must not be empty/,
      /benefitBeginTime: must be ISO 8601/,
      /benefitEndTime: is required/,
      /benefitValidPeriod\.validDays: is required/,
    ]) {
      assert.match(run.stderr, pattern)
    }
    assert.is(rows(db, 'select count(*) as n from templates')[0]!.n, 0)
    assert.is(rows(db, 'select count(*) as n from outbox')[0]!.n, 0)

    writeFileSync(file, '{"benefitTitle": ')
    const notJson = await cli(db, 'templates', 'create', '--file', file)
    assert.is(notJson.code, 1)
    assert.match(notJson.stderr, /is not valid JSON/)

    const usage = await cli(db, 'templates', 'create')
    assert.is(usage.code, 2, 'a missing --file is a usage error')
  })
})

test('--draft, then templates sync ID queues it; import-codes grows the pool', async () => {
  await withFolder(async (dir, db) => {
    const file = join(dir, 'template.json')
    writeFileSync(file, JSON.stringify(templateFile({ benefitTemplateId: 'tpl_later' })))
    const draft = await cli(db, 'templates', 'create', '--file', file, '--draft', '--json')
    assert.is(draft.code, 0, draft.stderr)
    assert.is(JSON.parse(draft.stdout).queued, false)
    assert.is(rows(db, 'select count(*) as n from outbox')[0]!.n, 0)

    writeFileSync(join(dir, 'more.txt'), 'N-1\nN-2\nN-3\n')
    const imported = await cli(db, 'templates', 'import-codes', 'tpl_later', '--file', join(dir, 'more.txt'))
    assert.is(imported.code, 0, imported.stderr)
    assert.match(imported.stdout, /Imported 3 codes into tpl_later/)

    const synced = await cli(db, 'templates', 'sync', 'tpl_later')
    assert.is(synced.code, 0, synced.stderr)
    assert.equal(rows(db, 'select api, ordering_key from outbox'), [{ api: 'syncBenefit', ordering_key: 'tpl_later' }])
    const again = await cli(db, 'templates', 'sync', 'tpl_later')
    assert.is(again.code, 0)
    assert.match(again.stdout, /already queued/)
    assert.is(rows(db, 'select count(*) as n from outbox')[0]!.n, 1)
  })
})

test.run()
