import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { InquireSyncResult } from '../src/platform-client/client.js'
import { SyncReconciler, type SyncInquirer } from '../src/reconciler/reconciler.js'
import { markSyncAccepted } from '../src/templates/sync-state.js'
import { startTestConnector, type TestConnector } from './support/connector.js'
import { createTemplateWithSync, templateState } from './support/outbox-fixtures.js'

/** A connector whose clock the test moves, with no worker delivering (the platform URL is dead anyway). */
async function setup() {
  let clock = 1_800_000_000_000
  const t = await startTestConnector({}, { now: () => clock, outbox: { reconciler: false, pollIntervalMs: 60_000 } })
  await t.connector.worker.stop()
  return {
    t,
    advance(ms: number) {
      clock += ms
    },
  }
}

function answer(status: 'S' | 'U' | 'F', code: string, syncStatus?: InquireSyncResult['syncStatus'], extra: Partial<InquireSyncResult> = {}): InquireSyncResult {
  return {
    outcome: { status, code, message: code, retryable: status === 'U', durationMs: 1 },
    ...(syncStatus ? { syncStatus } : {}),
    ...extra,
  }
}

/** An inquirer that answers from a script and records what it was asked. */
function scripted(next: (id: string) => InquireSyncResult) {
  const asked: string[] = []
  let open = 0
  let peak = 0
  const inquirer: SyncInquirer = {
    async inquireBenefitSync(id) {
      asked.push(id)
      open++
      peak = Math.max(peak, open)
      await new Promise((r) => setTimeout(r, 5))
      open--
      return next(id)
    },
  }
  return { inquirer, asked, peak: () => peak }
}

async function syncingTemplate(t: TestConnector) {
  const created = await createTemplateWithSync(t.connector)
  await markSyncAccepted(t.connector.context.db, created.syncRequestId, t.connector.context.now())
  return created
}

test('asks only after the first delay, then backs off along its schedule', async () => {
  const { t, advance } = await setup()
  try {
    const { syncRequestId, templateId } = await syncingTemplate(t)
    const { inquirer, asked } = scripted(() => answer('S', 'SUCCESS', 'PROCESSING'))
    const reconciler = new SyncReconciler(t.connector.context, inquirer, { firstDelayMs: 1_000, backoffMs: [2_000, 4_000], thenEveryMs: 10_000 })
    assert.is(await reconciler.runOnce(), 0)
    advance(999)
    assert.is(await reconciler.runOnce(), 0)
    advance(1)
    assert.is(await reconciler.runOnce(), 1)
    advance(1_999)
    assert.is(await reconciler.runOnce(), 0)
    advance(1)
    assert.is(await reconciler.runOnce(), 1)
    advance(4_000)
    assert.is(await reconciler.runOnce(), 1)
    advance(9_999)
    assert.is(await reconciler.runOnce(), 0)
    advance(1)
    assert.is(await reconciler.runOnce(), 1)
    assert.equal(asked, [syncRequestId, syncRequestId, syncRequestId, syncRequestId])
    assert.is((await templateState(t.connector.context.db, templateId)).state, 'SYNCING')
  } finally {
    await t.stop()
  }
})

test('U answers, unsigned answers and SYNC_REQUEST_ID_NOT_EXIST change nothing and back off', async () => {
  const { t, advance } = await setup()
  try {
    const { templateId } = await syncingTemplate(t)
    const script = [answer('U', 'UNSIGNED_ANSWER'), answer('U', 'TIMEOUT'), answer('F', 'SYNC_REQUEST_ID_NOT_EXIST')]
    const { inquirer, asked } = scripted(() => script.shift() ?? answer('S', 'SUCCESS', 'SUCCESS'))
    const reconciler = new SyncReconciler(t.connector.context, inquirer, { firstDelayMs: 0, backoffMs: [100], thenEveryMs: 100 })
    for (let i = 0; i < 3; i++) {
      assert.is(await reconciler.runOnce(), 1)
      assert.is(await reconciler.runOnce(), 0, 'backs off after an unsettled answer')
      assert.is((await templateState(t.connector.context.db, templateId)).state, 'SYNCING')
      advance(100)
    }
    assert.is(await reconciler.runOnce(), 1)
    assert.is((await templateState(t.connector.context.db, templateId)).state, 'SYNCED')
    assert.is(asked.length, 4)
  } finally {
    await t.stop()
  }
})

test('a FAIL answer carries its code and reason into the template, exactly as a notification would', async () => {
  const { t } = await setup()
  try {
    const { templateId } = await syncingTemplate(t)
    const { inquirer } = scripted(() => answer('S', 'SUCCESS', 'FAIL', { syncFailCode: 'INNER_PROCESS_FAIL', syncFailReason: 'try later' }))
    const reconciler = new SyncReconciler(t.connector.context, inquirer, { firstDelayMs: 0 })
    const verdicts: string[] = []
    reconciler.onInquiry((e) => verdicts.push(e.verdict))
    await reconciler.runOnce()
    const row = await templateState(t.connector.context.db, templateId)
    assert.equal([row.state, row.sync_fail_code, row.sync_fail_reason], ['FAILED', 'INNER_PROCESS_FAIL', 'try later'])
    assert.equal(verdicts, ['applied'])
  } finally {
    await t.stop()
  }
})

test('many SYNCING templates: at most `concurrency` inquiries at once, DRAFT and settled ones never asked', async () => {
  const { t } = await setup()
  try {
    for (let i = 0; i < 10; i++) await syncingTemplate(t)
    await createTemplateWithSync(t.connector) // stays DRAFT: never accepted, nothing to ask
    const { inquirer, asked, peak } = scripted(() => answer('S', 'SUCCESS', 'PROCESSING'))
    const reconciler = new SyncReconciler(t.connector.context, inquirer, { firstDelayMs: 0, concurrency: 3 })
    assert.is(await reconciler.runOnce(), 10)
    assert.is(peak(), 3)
    assert.is(new Set(asked).size, 10)
  } finally {
    await t.stop()
  }
})

test('start() and stop(): it runs on its own and stops asking once stopped', async () => {
  const { t } = await setup()
  try {
    await syncingTemplate(t)
    const { inquirer, asked } = scripted(() => answer('U', 'HTTP_503'))
    const reconciler = new SyncReconciler(t.connector.context, inquirer, { firstDelayMs: 0, backoffMs: [0], thenEveryMs: 0, tickMs: 10 })
    reconciler.start()
    await new Promise((r) => setTimeout(r, 100))
    await reconciler.stop()
    const count = asked.length
    assert.ok(count >= 3, `asked ${count} times`)
    await new Promise((r) => setTimeout(r, 60))
    assert.is(asked.length, count)
  } finally {
    await t.stop()
  }
})

test.run()
