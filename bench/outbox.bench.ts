/**
 * The outbox against a local signing platform stub (issue 4, product.md targets):
 *
 *   - the stub's own signed-answer rate: autocannon (its own process) firing one
 *     pre-signed syncUsedBenefit at the stub (its own process), which verifies our
 *     signature, checks the body and signs every answer;
 *   - the drain rate of a 10 000-row syncUsedBenefit backlog of one template by the
 *     connector's worker (this process) to the same stub — target ≥ 0.5 × the above;
 *   - first-attempt latency: from the commit of one row returning (where a redemption
 *     calls wake()) to its request arriving complete at a stub in this process,
 *     p50 / p99 — target p50 ≤ 10 ms;
 *   - the same drain through global fetch instead of node:http, to justify the choice.
 *
 *   node --conditions=source --import tsx bench/outbox.bench.ts [--json] [--rows 10000]
 *        [--samples 200] [--stub-seconds 5] [--transports http,fetch] [--synchronous FULL|NORMAL]
 *
 * Progress on stderr; the table (or one JSON document with --json) on stdout.
 * `measureOutboxDrain` and `measureFirstAttemptLatency` are exported for bench/run.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Connector, createLogger, loadConfig, type Config } from '@benefitkit/connector'
import { benefitApis, formatProtocolTime } from '@benefitkit/shared'
import { generateRsaKeyPair, loadPrivateKey, loadPublicKey, PublicKeyring, signRequest, type GeneratedKeyPair } from '@benefitkit/shared/signing'
import { enqueueOutbox } from '../packages/connector/src/outbox/enqueue.js'
import { PlatformClient } from '../packages/connector/src/platform-client/client.js'
import type { RawAnswer, Transport } from '../packages/connector/src/platform-client/transport.js'
import { startPlatformStub } from '../packages/connector/test/support/platform-stub.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const CLIENT_ID = 'BENCH_CLIENT_0001'

function progress(line: string): void {
  process.stderr.write(`${line}\n`)
}

export interface BenchKeys {
  isv: GeneratedKeyPair
  platform: GeneratedKeyPair
}

export function benchKeys(): BenchKeys {
  return { isv: generateRsaKeyPair(), platform: generateRsaKeyPair() }
}

function usedBody(id: string, templateId: string): string {
  return JSON.stringify({
    benefitUseRequestId: id,
    userId: 'bench-user',
    clientCode: 'ALIPAY_HK',
    benefitInstanceId: `inst-${id}`,
    benefitTemplateId: templateId,
    benefitUseDate: formatProtocolTime(Date.now(), 480),
    useScene: 'OFFLINE_STORE',
    usedAmount: { currency: 'HKD', value: '1000' },
  })
}

/* ---------------------------------------------------------- the stub process */

export interface StubProcess {
  url: string
  child: ChildProcess
  stats(): Promise<{ calls: number; accepted: number; idsWithDifferingBodies: string[] }>
  reset(): Promise<void>
  stop(): Promise<void>
}

export async function startStubProcess(keys: BenchKeys): Promise<StubProcess> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'packages/connector/test/support/platform-stub-main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      STUB_CLIENT_ID: CLIENT_ID,
      STUB_ISV_PUBLIC_KEY: keys.isv.publicKeyBase64,
      STUB_PLATFORM_PRIVATE_KEY: keys.platform.privateKeyBase64,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = ''
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /ready (\S+)/.exec(out)
      if (m) resolveUrl(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`stub exited (${code})`)))
  })
  return {
    url,
    child,
    async stats() {
      return (await (await fetch(`${url}/__stub/stats`)).json()) as never
    },
    async reset() {
      await fetch(`${url}/__stub/reset`, { method: 'POST' })
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/* ------------------------------------------------ the stub's own answer rate */

/** autocannon, in its own process, firing one pre-signed call with `connections` keep-alive connections. */
export async function measureStubRate(stubUrl: string, keys: BenchKeys, { seconds = 5, connections = 16 } = {}): Promise<number> {
  const path = benefitApis.syncUsedBenefit.path
  const body = usedBody('bench-stub-rate', 'tpl-bench')
  const headers = signRequest({ path, clientId: CLIENT_ID, body, key: { keyVersion: '1', privateKey: loadPrivateKey(keys.isv.privateKeyBase64) } })
  const args = [join(root, 'node_modules/autocannon/autocannon.js'), '-c', String(connections), '-d', String(seconds), '-m', 'POST', '-b', body, '-j']
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`)
  args.push(`${stubUrl}${path}`)
  const out = await new Promise<string>((resolveOut, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    let text = ''
    child.stdout.on('data', (c: Buffer) => (text += c.toString()))
    child.once('exit', (code) => (code === 0 ? resolveOut(text) : reject(new Error(`autocannon exited ${code}`))))
  })
  const report = JSON.parse(out) as { requests: { total: number }; duration: number; non2xx: number; errors: number }
  if (report.non2xx || report.errors) throw new Error(`autocannon saw ${report.non2xx} non-2xx and ${report.errors} errors`)
  return report.requests.total / report.duration
}

/* ------------------------------------------------------------- the drain */

export type TransportName = 'http' | 'fetch'

/** The alternative measured against node:http: global fetch (undici inside Node 20). */
export function createFetchTransport(): Transport {
  return {
    async post({ url, headers, body, timeoutMs }): Promise<RawAnswer> {
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) })
      return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }
    },
    close() {},
  }
}

function benchConfig(keys: BenchKeys, stubUrl: string, dir: string, synchronous: 'FULL' | 'NORMAL', concurrency: number): Config {
  return loadConfig({
    env: {},
    overrides: {
      port: 0,
      db: join(dir, 'bench.db'),
      dbSynchronous: synchronous,
      clientId: CLIENT_ID,
      privateKey: keys.isv.privateKeyBase64,
      platformUrl: stubUrl,
      platformPublicKeys: { '1': keys.platform.publicKeyBase64 },
      logLevel: 'silent',
      outboxConcurrency: concurrency,
    },
  })
}

export interface DrainResult {
  rows: number
  seconds: number
  rate: number
  transport: TransportName
  synchronous: 'FULL' | 'NORMAL'
  concurrency: number
  /** CPU time of this process (connector) per delivered row: the load-independent cost. */
  cpuMsPerRow: number
}

/** Commits `rows` syncUsedBenefit of one template, then times the worker delivering all of them. */
export async function measureOutboxDrain(
  keys: BenchKeys,
  stubUrl: string,
  { rows = 10_000, transport = 'http' as TransportName, synchronous = 'FULL' as 'FULL' | 'NORMAL', concurrency = 16 } = {},
): Promise<DrainResult> {
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-bench-'))
  const config = benchConfig(keys, stubUrl, dir, synchronous, concurrency)
  const client = new PlatformClient({
    baseUrl: stubUrl,
    clientId: CLIENT_ID,
    signing: { keyVersion: '1', privateKey: loadPrivateKey(keys.isv.privateKeyBase64) },
    platformKeys: new PublicKeyring([['1', loadPublicKey(keys.platform.publicKeyBase64)]]),
    timeoutMs: config.platformTimeoutMs,
    maxSockets: concurrency * 2,
    ...(transport === 'fetch' ? { transport: createFetchTransport() } : {}),
  })
  const connector = await Connector.create(config, { logger: createLogger('silent'), outbox: { client, reconciler: false } })
  try {
    const { db } = connector.context
    const template = 'tpl-bench'
    const prefix = `drain-${process.pid}-${Date.now()}`
    await db.transaction().execute(async (trx) => {
      const now = Date.now()
      for (let i = 0; i < rows; i++) {
        const id = `${prefix}-${i}`
        await enqueueOutbox(trx, { api: 'syncUsedBenefit', idempotencyId: id, body: usedBody(id, template), orderingKey: template, now })
      }
    })
    let delivered = 0
    let failed = 0
    const done = new Promise<void>((resolveDone) => {
      connector.worker.onDelivery((e) => {
        if (e.verdict.kind === 'delivered') delivered++
        else failed++
        if (delivered === rows) resolveDone()
      })
    })
    const started = performance.now()
    const cpu = process.cpuUsage()
    connector.worker.start()
    await done
    const seconds = (performance.now() - started) / 1000
    const used = process.cpuUsage(cpu)
    if (failed) progress(`  (${failed} deliveries were retried)`)
    return { rows, seconds, rate: rows / seconds, transport, synchronous, concurrency, cpuMsPerRow: (used.user + used.system) / 1000 / rows }
  } finally {
    await connector.stop()
    client.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/* ------------------------------------------------------ first-attempt latency */

export interface LatencyResult {
  samples: number
  p50: number
  p90: number
  p99: number
  max: number
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/**
 * Commit of one row returned → wake() → the stub receiving the request (its
 * body complete), on an idle connector. Both ends in this process,
 * so one clock measures both.
 */
export async function measureFirstAttemptLatency(keys: BenchKeys, { samples = 200, synchronous = 'FULL' as 'FULL' | 'NORMAL' } = {}): Promise<LatencyResult> {
  const stub = await startPlatformStub({
    clientId: CLIENT_ID,
    isvKeyring: new PublicKeyring([['1', loadPublicKey(keys.isv.publicKeyBase64)]]),
    signing: { keyVersion: '1', privateKey: loadPrivateKey(keys.platform.privateKeyBase64) },
  })
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-bench-'))
  const connector = await Connector.create(benchConfig(keys, stub.url, dir, synchronous, 16), {
    logger: createLogger('silent'),
    outbox: { reconciler: false },
  })
  try {
    connector.worker.start()
    const { db, outbox } = connector.context
    const arrivals = new Map<string, number>()
    stub.onCall((call) => {
      if (call.id) arrivals.set(call.id, call.at)
    })
    const latencies: number[] = []
    for (let i = 0; i < samples + 10; i++) {
      const id = `latency-${process.pid}-${i}`
      const body = usedBody(id, 'tpl-bench')
      await db.transaction().execute((trx) => enqueueOutbox(trx, { api: 'syncUsedBenefit', idempotencyId: id, body, orderingKey: 'tpl-bench', now: Date.now() }))
      // The clock starts when the commit has returned, where a redemption would call wake().
      const started = performance.now()
      outbox.wake()
      await stub.waitFor(() => arrivals.has(id) && stub.isAccepted(id), { timeoutMs: 5_000 })
      // The first 10 warm up the connection, the JIT and the statement cache.
      if (i >= 10) latencies.push(arrivals.get(id)! - started)
      await new Promise((r) => setTimeout(r, 5))
    }
    latencies.sort((a, b) => a - b)
    return { samples, p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies.at(-1)! }
  } finally {
    await connector.stop()
    await stub.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/* ------------------------------------------------------------------ main */

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      rows: { type: 'string', default: '10000' },
      samples: { type: 'string', default: '200' },
      'stub-seconds': { type: 'string', default: '5' },
      transports: { type: 'string', default: 'http,fetch' },
      synchronous: { type: 'string', default: 'FULL' },
      concurrency: { type: 'string', default: '16' },
    },
  })
  const rows = Number(args.rows)
  const synchronous = args.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'
  const concurrency = Number(args.concurrency)
  const transports = args.transports.split(',').filter((t): t is TransportName => t === 'http' || t === 'fetch')
  const keys = benchKeys()

  progress('first-attempt latency (commit → request at the stub)…')
  const latency = await measureFirstAttemptLatency(keys, { samples: Number(args.samples), synchronous })

  const stub = await startStubProcess(keys)
  try {
    progress(`stub signed-answer rate (autocannon, 16 connections, ${args['stub-seconds']} s)…`)
    const stubRate = await measureStubRate(stub.url, keys, { seconds: Number(args['stub-seconds']) })
    const drains: DrainResult[] = []
    for (const transport of transports) {
      await stub.reset()
      progress(`drain of ${rows} rows via ${transport}…`)
      drains.push(await measureOutboxDrain(keys, stub.url, { rows, transport, synchronous, concurrency }))
      const stats = await stub.stats()
      if (stats.idsWithDifferingBodies.length) throw new Error('a body differed between attempts')
    }
    const result = {
      machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((l) => Number(l.toFixed(2))), node: process.version },
      stubRate,
      drains: drains.map((d) => ({ ...d, ratio: d.rate / stubRate })),
      latency,
    }
    if (args.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
      return
    }
    const lines = [
      `machine: ${result.machine.cpus} × ${result.machine.model}, load ${result.machine.loadavg.join(' ')}, node ${result.machine.node}`,
      `stub signed-answer rate         ${stubRate.toFixed(0)} /s`,
      ...result.drains.map(
        (d) =>
          `drain ${d.rows} via ${d.transport.padEnd(5)}       ${d.rate.toFixed(0)} /s in ${d.seconds.toFixed(2)} s  ratio ${d.ratio.toFixed(2)} (target ≥ 0.5)  ${d.cpuMsPerRow.toFixed(3)} CPU ms/row  [synchronous=${d.synchronous}, concurrency ${d.concurrency}]`,
      ),
      `first attempt after commit      p50 ${latency.p50.toFixed(2)} ms  p90 ${latency.p90.toFixed(2)} ms  p99 ${latency.p99.toFixed(2)} ms  max ${latency.max.toFixed(2)} ms (target p50 ≤ 10 ms; ${latency.samples} samples)`,
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  } finally {
    await stub.stop()
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack}\n`)
    process.exitCode = 1
  })
}
