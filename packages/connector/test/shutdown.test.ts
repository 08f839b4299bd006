import { request, Agent } from 'node:http'
import { createServer, type Socket } from 'node:net'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import SQLite from 'better-sqlite3'
import { signRequest, verifyResponse } from '@benefitkit/shared/signing'
import { TEST_CLIENT_ID } from './support/connector.js'
import { createApiKey } from '@benefitkit/connector'
import { issueId, syncedTemplate } from './support/issuing.js'
import { testKeys } from './support/keys.js'
import { startDaemon } from './support/ops-daemon.js'
import { createTemplateWithSync } from './support/outbox-fixtures.js'
import { startPlatformStub } from './support/platform-stub.js'
import { hmacAuthorization, newKey } from './support/redemption-client.js'
import { seedInstances } from './support/seed-instances.js'

interface Outcome {
  kind: 'issue' | 'redeem'
  /** benefitIssueRequestId, or the redeemed instance id. */
  id: string
  /** Headers arrived. */
  started: boolean
  /** The whole body arrived and the signed answer verified. */
  answered: boolean
  resultCode?: string
  error?: string
  answeredAt?: number
}

/**
 * One signed issueBenefit, recording exactly how far its answer got. With
 * `holdBody`, half the body is sent at once and the rest only when it resolves:
 * the request is provably in flight on the server meanwhile.
 */
function issueOnce(url: string, agent: Agent | false, templateId: string, holdBody?: Promise<unknown>): Promise<Outcome> {
  const id = issueId('drain')
  const body = JSON.stringify({ benefitIssueRequestId: id, userId: `u_${id.slice(-6)}`, benefitTemplateId: templateId, quantity: 1 })
  const path = '/isv/benefit/issue'
  const headers = signRequest({ path, clientId: TEST_CLIENT_ID, body, key: testKeys().platformSigning })
  const outcome: Outcome = { kind: 'issue', id, started: false, answered: false }
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      outcome.started = true
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', (error) => resolve({ ...outcome, error: `cut mid-answer: ${error.message}` }))
      res.on('aborted', () => resolve({ ...outcome, error: 'cut mid-answer: aborted' }))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        const flat: Record<string, string> = {}
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') flat[k] = v
        const signed = verifyResponse({ path, clientId: TEST_CLIENT_ID, headers: flat, body: text, keyring: testKeys().isvKeyring })
        let resultCode: string | undefined
        try {
          resultCode = (JSON.parse(text) as { resultCode?: string }).resultCode
        } catch {
          resolve({ ...outcome, error: `truncated answer: ${text.slice(0, 80)}` })
          return
        }
        resolve({ ...outcome, answered: signed && res.statusCode === 200, ...(resultCode ? { resultCode } : {}), answeredAt: Date.now() })
      })
    })
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (!outcome.started) resolve({ ...outcome, error: error.code ?? error.message })
    })
    if (!holdBody) return req.end(body)
    const half = Math.floor(body.length / 2)
    req.write(body.slice(0, half))
    void holdBody.then(() => req.end(body.slice(half)))
  })
}

/** One redemption over the redemption API (HMAC-signed, with an Idempotency-Key), recording how far its answer got. */
function redeemOnce(url: string, agent: Agent, secret: string, instance: { id: string; code: string }): Promise<Outcome> {
  const path = '/v1/redemptions'
  const body = JSON.stringify({ benefitCode: instance.code, orderId: `o-${instance.id.slice(-8)}` })
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'idempotency-key': newKey(),
    authorization: hmacAuthorization(secret, { path, body }),
  }
  const outcome: Outcome = { kind: 'redeem', id: instance.id, started: false, answered: false }
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { method: 'POST', agent, headers }, (res) => {
      outcome.started = true
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('aborted', () => resolve({ ...outcome, error: 'cut mid-answer: aborted' }))
      res.on('error', (error) => resolve({ ...outcome, error: `cut mid-answer: ${error.message}` }))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        try {
          const json = JSON.parse(text) as { redemption?: { benefitInstanceId: string }; error?: { code: string } }
          const ok = res.statusCode === 200 && json.redemption?.benefitInstanceId === instance.id
          resolve({ ...outcome, answered: ok, resultCode: ok ? 'SUCCESS' : (json.error?.code ?? String(res.statusCode)), answeredAt: Date.now() })
        } catch {
          resolve({ ...outcome, error: `truncated answer: ${text.slice(0, 80)}` })
        }
      })
    })
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (!outcome.started) resolve({ ...outcome, error: error.code ?? error.message })
    })
    req.end(body)
  })
}

test('SIGTERM during a burst: every answered request is committed, none is cut mid-answer, exit 0 within the deadline', async () => {
  const stub = await startPlatformStub()
  const deadlineMs = 8_000
  let templateId = ''
  let secret = ''
  let instances: Array<{ id: string; code: string }> = []
  const daemon = await startDaemon({ platformUrl: stub.url }, async (t) => {
    templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 100_000 } })
    secret = (await createApiKey(t.connector.context.db, { name: 'burst' })).secret
    instances = await seedInstances(t.connector.context.db, Array.from({ length: 2_000 }, () => ({})))
  }, { BENEFITKIT_SHUTDOWN_TIMEOUT_MS: String(deadlineMs), BENEFITKIT_RATE_LIMIT_PER_SECOND: '100000' })
  const agent = new Agent({ keepAlive: true, maxSockets: 24 })
  try {
    const outcomes: Outcome[] = []
    let sigtermAt = 0
    let stopSending = false
    // Five requests whose bodies are still arriving when SIGTERM lands: they must be answered, not reset.
    let release!: () => void
    const afterSigterm = new Promise<void>((resolve) => (release = resolve))
    const slow = Array.from({ length: 5 }, () => issueOnce(daemon.url, false, templateId, afterSigterm))
    await new Promise((r) => setTimeout(r, 200))
    // 24 callers in a loop on keep-alive sockets, until the daemon is gone: half
    // issue over the signed platform API, half redeem over the redemption API.
    let nextInstance = 0
    const callers = Array.from({ length: 24 }, async (_, caller) => {
      while (!stopSending) {
        const instance = instances[nextInstance]
        const outcome =
          caller % 2 === 1 && instance
            ? (nextInstance++, await redeemOnce(daemon.url, agent, secret, instance))
            : await issueOnce(daemon.url, agent, templateId)
        outcomes.push(outcome)
        if (!outcome.answered && !outcome.started) break
        if (outcomes.length >= 60 && sigtermAt === 0) {
          sigtermAt = Date.now()
          daemon.child.kill('SIGTERM')
          setTimeout(release, 300)
        }
        if (outcomes.length > 5_000) break
      }
    })
    const exit = await daemon.exited
    stopSending = true
    await Promise.all(callers)
    const slowOutcomes = await Promise.all(slow)
    outcomes.push(...slowOutcomes)

    assert.is(exit.code, 0, daemon.stderr())
    assert.ok(sigtermAt > 0, 'SIGTERM was sent during the burst')
    assert.ok(exit.at - sigtermAt < deadlineMs, `exited ${exit.at - sigtermAt} ms after SIGTERM, deadline ${deadlineMs}`)

    const cut = outcomes.filter((o) => o.started && !o.answered)
    assert.equal(cut, [], 'no answer was cut or truncated')
    const answered = outcomes.filter((o) => o.answered)
    assert.ok(answered.length >= 60, `answered ${answered.length}`)
    assert.ok(answered.some((o) => o.kind === 'redeem') && answered.some((o) => o.kind === 'issue'), 'both APIs were answered')
    assert.ok(answered.every((o) => o.resultCode === 'SUCCESS'), JSON.stringify(answered.find((o) => o.resultCode !== 'SUCCESS')))
    for (const o of slowOutcomes) assert.ok(o.answered && o.answeredAt! > sigtermAt, `a request in flight at SIGTERM was not answered: ${JSON.stringify(o)}`)
    for (const o of outcomes.filter((o) => !o.started)) assert.match(o.error ?? '', /ECONNREFUSED|ECONNRESET|socket hang up/)

    const db = new SQLite(daemon.config.db, { readonly: true })
    try {
      const issued = db.prepare("select count(*) from issuings where request_id = ? and state = 'ISSUED'").pluck()
      const issuedInstances = db.prepare('select count(*) from instances where issuing_id = ?').pluck()
      const redeemed = db.prepare("select count(*) from redemptions r join instances i on i.id = r.instance_id where r.instance_id = ? and i.state = 'USED'").pluck()
      const usedSync = db.prepare("select count(*) from outbox o join redemptions r on r.use_request_id = o.idempotency_id where o.api = 'syncUsedBenefit' and r.instance_id = ?").pluck()
      for (const o of answered) {
        if (o.kind === 'issue') {
          assert.is(issued.get(o.id), 1, `answered issuing ${o.id} is not in the database`)
          assert.is(issuedInstances.get(o.id), 1)
        } else {
          assert.is(redeemed.get(o.id), 1, `answered redemption of ${o.id} is not in the database`)
          assert.is(usedSync.get(o.id), 1, `answered redemption of ${o.id} has no syncUsedBenefit in the outbox`)
        }
      }
    } finally {
      db.close()
    }
    // The log says it stopped cleanly.
    assert.match(daemon.stdout(), /"msg":"stopped"/)
  } finally {
    agent.destroy()
    daemon.child.kill('SIGKILL')
    await stub.close()
    rmSync(join(daemon.config.db, '..'), { recursive: true, force: true })
  }
})

/** A platform that accepts connections and never answers: a delivery in flight until someone gives up. */
async function blackHole(): Promise<{ url: string; connected: Promise<void>; close(): void }> {
  const sockets = new Set<Socket>()
  let onConnect!: () => void
  const connected = new Promise<void>((resolve) => (onConnect = resolve))
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    onConnect()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    connected,
    close() {
      for (const socket of sockets) socket.destroy()
      server.close()
    },
  }
}

test('a delivery still in flight at the deadline is abandoned and its row handed back; the process exits 0 right after the deadline', async () => {
  const hole = await blackHole()
  const deadlineMs = 1_500
  const daemon = await startDaemon({ platformUrl: hole.url }, async (t) => {
    await createTemplateWithSync(t.connector)
  }, { BENEFITKIT_SHUTDOWN_TIMEOUT_MS: String(deadlineMs), BENEFITKIT_PLATFORM_TIMEOUT_MS: '60000' })
  try {
    await hole.connected
    await new Promise((r) => setTimeout(r, 200))
    const sigtermAt = Date.now()
    daemon.child.kill('SIGTERM')
    const exit = await daemon.exited
    assert.is(exit.code, 0, daemon.stderr())
    const took = exit.at - sigtermAt
    assert.ok(took >= deadlineMs - 100, `exited after ${took} ms: it did not wait for the delivery`)
    assert.ok(took < deadlineMs + 4_000, `exited after ${took} ms`)
    const db = new SQLite(daemon.config.db, { readonly: true })
    try {
      const row = db.prepare("select state, lease_owner from outbox where api = 'syncBenefit'").get() as { state: string; lease_owner: string | null }
      assert.equal(row, { state: 'pending', lease_owner: null }, 'the row is handed back, due at the next start')
    } finally {
      db.close()
    }
  } finally {
    daemon.child.kill('SIGKILL')
    hole.close()
    rmSync(join(daemon.config.db, '..'), { recursive: true, force: true })
  }
})

test('a second signal exits at once (exit 1) while the first is still waiting', async () => {
  const hole = await blackHole()
  const daemon = await startDaemon({ platformUrl: hole.url }, async (t) => {
    await createTemplateWithSync(t.connector)
  }, { BENEFITKIT_SHUTDOWN_TIMEOUT_MS: '30000', BENEFITKIT_PLATFORM_TIMEOUT_MS: '60000' })
  try {
    await hole.connected
    daemon.child.kill('SIGTERM')
    const early = await Promise.race([daemon.exited, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 800))])
    assert.is(early, 'waiting', 'the first signal waits for the delivery in flight')
    const secondAt = Date.now()
    daemon.child.kill('SIGINT')
    const exit = await daemon.exited
    assert.is(exit.code, 1)
    assert.ok(exit.at - secondAt < 2_000, `exited ${exit.at - secondAt} ms after the second signal`)
    assert.match(daemon.stdout(), /exiting now/)
  } finally {
    daemon.child.kill('SIGKILL')
    hole.close()
    rmSync(join(daemon.config.db, '..'), { recursive: true, force: true })
  }
})

test.run()
