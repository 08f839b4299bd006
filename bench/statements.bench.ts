/**
 * Where the database time of issueBenefit and of a redemption goes: every
 * SQLite statement the connector runs, timed inside better-sqlite3 (prepared
 * statement run/all/get, COMMIT included), per operation, under 32 concurrent
 * requests through the real HTTP app (group commit as in production).
 *
 *   node --conditions=source --import tsx bench/statements.bench.ts [--ops 4000] [--synchronous FULL|NORMAL] [--json]
 *
 * The client runs in this process too (it only matters for wall time, not for
 * the statements). Used by bench/RESULTS.md to explain the request-path ratios.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { applySyncOutcome, Connector, createApiKey, createLogger, createTemplate, loadConfig } from '@benefitkit/connector'
import { benefitApis, formatProtocolTime } from '@benefitkit/shared'
import { generateRsaKeyPair, loadPrivateKey, signRequest } from '@benefitkit/shared/signing'
import { seedInstances } from '../packages/connector/test/support/seed-instances.js'
import { hmacAuthorization } from './support/hmac.js'
import { progress, textTable } from './support/machine.js'

const { values: args } = parseArgs({
  options: {
    ops: { type: 'string', default: '4000' },
    synchronous: { type: 'string', default: 'FULL' },
    json: { type: 'boolean', default: false },
  },
})
const OPS = Number(args.ops)
const SYNCHRONOUS = args.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'
const CONCURRENCY = 32
const DAY = 86_400_000

interface Timing {
  calls: number
  micros: number
}

const isv = generateRsaKeyPair()
const platform = generateRsaKeyPair()
const dir = mkdtempSync(join(tmpdir(), 'benefitkit-statements-'))
const config = loadConfig({
  env: {},
  overrides: {
    port: 0,
    db: join(dir, 'bench.db'),
    dbSynchronous: SYNCHRONOUS,
    clientId: 'STATEMENTS_BENCH',
    privateKey: isv.privateKeyBase64,
    platformUrl: 'http://127.0.0.1:9',
    platformPublicKeys: { '1': platform.publicKeyBase64 },
    logLevel: 'silent',
    rateLimitPerSecond: 10_000_000,
  },
})
const connector = await Connector.create(config, { logger: createLogger('silent') })
const { context } = connector
const server = createServer(connector.app.callback())
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
const port = (server.address() as AddressInfo).port
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })

// Every statement better-sqlite3 runs for the connector goes through these three methods.
const timings = new Map<string, Timing>()
let recording = false
const statementPrototype = Object.getPrototypeOf(context.sqlite.prepare('select 1')) as Record<string, (...a: unknown[]) => unknown>
for (const method of ['run', 'all', 'get'] as const) {
  const original = statementPrototype[method]!
  statementPrototype[method] = function (this: { source: string }, ...a: unknown[]) {
    if (!recording) return original.apply(this, a)
    const started = performance.now()
    try {
      return original.apply(this, a)
    } finally {
      const key = this.source.replace(/\s+/g, ' ').slice(0, 72)
      const t = timings.get(key) ?? { calls: 0, micros: 0 }
      t.calls++
      t.micros += (performance.now() - started) * 1000
      timings.set(key, t)
    }
  }
}

function post(path: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(body)
  })
}

interface Req {
  path: string
  headers: Record<string, string>
  body: string
}

/** Sends requests `make(0)`, `make(1)`, … `make(total - 1)`, 32 at a time; times the ones after `warm`. */
async function measure(label: string, make: (i: number) => Req, total: number, warm: number) {
  let next = 0
  let limit = warm
  let failed = 0
  const one = async () => {
    while (next < limit) {
      const r = make(next++)
      if ((await post(r.path, r.headers, r.body)) !== 200) failed++
    }
  }
  // Warm-up: JIT, statement cache, connections.
  await Promise.all(Array.from({ length: CONCURRENCY }, one))
  limit = total
  timings.clear()
  recording = true
  const cpu = process.cpuUsage()
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, one))
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  recording = false
  const ops = total - warm
  if (failed) throw new Error(`${label}: ${failed} requests failed`)
  const rows = [...timings.entries()]
    .sort((a, b) => b[1].micros - a[1].micros)
    .map(([sql, t]) => ({ sql, callsPerOp: t.calls / ops, avgMicros: t.micros / t.calls, microsPerOp: t.micros / ops }))
  return {
    label,
    ops,
    statementMicrosPerOp: rows.reduce((s, r) => s + r.microsPerOp, 0),
    processCpuMicrosPerOp: (used.user + used.system) / ops,
    wallMicrosPerOp: (wallMs * 1000) / ops,
    statements: rows,
  }
}

const now = Date.now()
const created = await createTemplate(context, {
  benefitProductCode: 'SPICE_SECRET_VOUCHER',
  benefitTitle: 'HKD 10 off',
  benefitBeginTime: formatProtocolTime(now - DAY, 480),
  benefitEndTime: formatProtocolTime(now + 30 * DAY, 480),
  benefitValidPeriod: { type: 'RELATIVE', validDays: 30 },
  clientCode: 'ALIPAY_HK',
  benefitContent: { amount: { currency: 'HKD', value: '1000' }, codeType: 'CODE' },
  benefitBudget: { totalQuantity: 100_000_000 },
})
await applySyncOutcome(context.db, { syncRequestId: created.benefitSyncRequestId, syncStatus: 'SUCCESS', now })
const warm = 500

progress(`signing ${OPS + warm} issueBenefit requests…`)
const key = { keyVersion: '1', privateKey: loadPrivateKey(platform.privateKeyBase64) }
const path = benefitApis.issueBenefit.path
const issues = Array.from({ length: OPS + warm }, (_, i) => {
  const body = JSON.stringify({ benefitIssueRequestId: `st-${now}-${i}`, userId: `u${i}`, benefitTemplateId: created.template.benefitTemplateId, quantity: 1 })
  return { path, headers: signRequest({ path, clientId: config.clientId, body, key }), body }
})
progress('issueBenefit…')
const issue = await measure('issueBenefit', (i) => issues[i]!, issues.length, warm)

progress('seeding instances and redeeming them…')
const apiKey = await createApiKey(context.db, { name: 'statements' })
const seeded = await seedInstances(context.db, Array.from({ length: OPS + warm }, () => ({ userId: 'statements-user' })))
// HMAC with a fresh nonce, made when sent.
const redeemRequest = (i: number): Req => {
  const body = JSON.stringify({ benefitCode: seeded[i]!.code, orderId: `o${i}` })
  const headers = { 'content-type': 'application/json', 'idempotency-key': `st-redeem-${i}-${now}`, authorization: hmacAuthorization(apiKey.secret, '/v1/redemptions', body) }
  return { path: '/v1/redemptions', headers, body }
}
const redeem = await measure('redemption', redeemRequest, seeded.length, warm)

await connector.stop()
server.closeAllConnections()
server.close()
agent.destroy()
rmSync(dir, { recursive: true, force: true })

const results = { synchronous: SYNCHRONOUS, concurrency: CONCURRENCY, issue, redeem }
if (args.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
else {
  const out: string[] = ['', `SQLite statements per operation — synchronous=${SYNCHRONOUS}, ${CONCURRENCY} concurrent requests, ${OPS} operations each`]
  for (const r of [issue, redeem]) {
    out.push(
      '',
      `${r.label}: statements ${r.statementMicrosPerOp.toFixed(0)} µs per operation; this process (server + client) ${r.processCpuMicrosPerOp.toFixed(0)} CPU µs, ${r.wallMicrosPerOp.toFixed(0)} µs wall per operation`,
      textTable([
        ['statement', 'calls/op', 'avg µs', 'µs/op'],
        ...r.statements.slice(0, 12).map((s) => [s.sql, s.callsPerOp.toFixed(3), s.avgMicros.toFixed(1), s.microsPerOp.toFixed(1)]),
      ]),
    )
  }
  process.stdout.write(`${out.join('\n')}\n`)
}
