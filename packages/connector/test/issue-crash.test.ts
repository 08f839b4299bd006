import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import SQLite from 'better-sqlite3'
import { migrateToLatest, openDatabase } from '../src/db/open.js'
import { createTemplate } from '../src/templates/create.js'
import { applySyncOutcome } from '../src/templates/sync-state.js'
import { expectAnswer } from './support/answers.js'
import { TEST_CLIENT_ID } from './support/connector.js'
import { issueId, templateFile } from './support/issuing.js'
import { testKeys } from './support/keys.js'
import { callIsvApi, type IsvAnswer } from './support/platform-caller.js'

/**
 * The daemon as the ISV runs it (`benefitkit serve`, a child process) is killed
 * with SIGKILL in the middle of a burst of issueBenefit calls and started again
 * on the same database: every issuing the platform saw succeed is intact and
 * answers the same, and nothing is half written.
 */

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))

interface Daemon {
  child: ChildProcess
  url: string
}

function startDaemon(db: string): Promise<Daemon> {
  const keys = testKeys()
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'serve'], {
    env: {
      ...process.env,
      BENEFITKIT_DB: db,
      BENEFITKIT_DB_SYNCHRONOUS: 'NORMAL',
      BENEFITKIT_HOST: '127.0.0.1',
      BENEFITKIT_PORT: '0',
      BENEFITKIT_CLIENT_ID: TEST_CLIENT_ID,
      BENEFITKIT_PRIVATE_KEY: keys.isv.privateKeyBase64,
      BENEFITKIT_PLATFORM_PUBLIC_KEY: keys.platform.publicKeyBase64,
      BENEFITKIT_PLATFORM_URL: 'http://127.0.0.1:9',
      BENEFITKIT_LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`daemon did not start: ${out}${err}`)), 60_000)
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk))
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk
      const match = /listening on (http:\/\/\S+)/.exec(out)
      if (match) {
        clearTimeout(timer)
        resolve({ child, url: match[1]! })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`daemon exited with ${code}: ${out}${err}`))
    })
  })
}

function kill(daemon: Daemon): Promise<void> {
  if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    daemon.child.once('exit', () => resolve())
    daemon.child.kill('SIGKILL')
  })
}

async function prepareDatabase(db: string): Promise<string> {
  const database = openDatabase(db)
  try {
    const migration = await migrateToLatest(database.db)
    if (migration.error) throw migration.error
    const created = await createTemplate({ db: database.db }, templateFile({ benefitBudget: { totalQuantity: 100_000, perUserLimit: 1000 } }))
    await applySyncOutcome(database.db, { syncRequestId: created.benefitSyncRequestId, syncStatus: 'SUCCESS', now: Date.now() })
    return created.template.benefitTemplateId
  } finally {
    await database.close()
  }
}

interface Sent {
  body: { benefitIssueRequestId: string; userId: string; benefitTemplateId: string; quantity: number }
  answer?: IsvAnswer
  error?: unknown
}

test('SIGKILL during a burst of issues: every acknowledged issuing survives intact, none is half written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-crash-'))
  const db = join(dir, 'db.sqlite')
  let daemon: Daemon | undefined
  try {
    const templateId = await prepareDatabase(db)
    daemon = await startDaemon(db)
    const url = daemon.url

    const sent: Sent[] = []
    let stop = false
    let succeeded = 0
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const body = { benefitIssueRequestId: issueId(`crash${w}`), userId: `user_${w}_${i}`, benefitTemplateId: templateId, quantity: 1 + ((w + i) % 3) }
        const entry: Sent = { body }
        sent.push(entry)
        try {
          entry.answer = await callIsvApi(url, 'issueBenefit', body)
          if (entry.answer.json?.resultCode === 'SUCCESS') succeeded++
        } catch (error) {
          entry.error = error
          return // the daemon is gone
        }
      }
    }
    const burst = Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)))
    const deadline = Date.now() + 60_000
    while (succeeded < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    await kill(daemon) // mid-burst: 16 calls are in flight
    stop = true
    await burst

    const acknowledged = sent.filter((s) => s.answer?.signed && s.answer.json?.resultCode === 'SUCCESS')
    const unknown = sent.filter((s) => !s.answer)
    assert.ok(acknowledged.length >= 60, `${acknowledged.length} acknowledged`)
    assert.ok(unknown.length > 0, 'some calls were cut by the kill')

    // Straight from the file, before anything runs again: no half-written issuing.
    const sqlite = new SQLite(db, { readonly: true })
    try {
      const broken = sqlite
        .prepare(
          `select i.request_id from issuings i left join instances n on n.issuing_id = i.request_id
           group by i.request_id having (i.state = 'ISSUED' and (count(n.id) != i.quantity or i.answer_json is null))
                                   or (i.state != 'ISSUED' and count(n.id) > 0)`,
        )
        .all()
      assert.equal(broken, [], 'every ISSUED row has exactly its instances and its answer')
      const issued = sqlite.prepare('select issued_quantity as n from templates where id = ?').get(templateId) as { n: number }
      const live = sqlite.prepare("select count(*) as n from instances where state = 'ACTIVATED'").get() as { n: number }
      const users = sqlite.prepare('select coalesce(sum(issued), 0) as n from user_template_counts').get() as { n: number }
      assert.is(issued.n, live.n, 'stock taken = instances that exist')
      assert.is(users.n, live.n, 'per-user counts = instances that exist')
    } finally {
      sqlite.close()
    }

    daemon = await startDaemon(db)
    for (const s of acknowledged) {
      const inquiry = await callIsvApi(daemon.url, 'inquireBenefitIssue', { benefitIssueRequestId: s.body.benefitIssueRequestId })
      expectAnswer(inquiry, 'SUCCESS')
      assert.equal(
        inquiry.json.benefitDetails.map((d: { benefitInstanceId: string }) => d.benefitInstanceId),
        s.answer!.json.benefitDetails.map((d: { benefitInstanceId: string }) => d.benefitInstanceId),
      )
      const repeat = await callIsvApi(daemon.url, 'issueBenefit', s.body)
      expectAnswer(repeat, 'SUCCESS')
      assert.is(repeat.raw, s.answer!.raw, 'the platform sees the same answer after the restart')
    }
    // The platform retries what it never heard back about: each ends issued exactly once.
    for (const s of unknown) {
      const retry = await callIsvApi(daemon.url, 'issueBenefit', s.body)
      expectAnswer(retry, 'SUCCESS')
      assert.is(retry.json.benefitDetails.length, s.body.quantity)
      const again = await callIsvApi(daemon.url, 'issueBenefit', s.body)
      assert.is(again.raw, retry.raw)
    }
  } finally {
    if (daemon) await kill(daemon)
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
