/**
 * `corepack pnpm bench`: every figure of product.md's "Targets", each next to
 * a baseline measured in the same run on the same machine, as ratios.
 *
 *   corepack pnpm bench [--quick] [--json] [--profile] [--write | --no-write] [--connections 32] [--server-node-args="--flag …"]
 *
 * Processes (2 cores: the process under test gets one, the load generator the other):
 *   - bench/server-process.ts — the connector (or the bare Koa baseline), bundled
 *     with esbuild and run by plain node like the production build;
 *   - bench/load-driver.ts — autocannon's programmatic API; issueBenefit requests
 *     are signed before the clock starts, HMAC requests in setupRequest;
 *   - bench/signing.bench.ts — the raw node:crypto sign rate of one core;
 *   - bench/outbox.bench.ts's stub process, autocannon bin and drain (reused).
 *
 * Progress on stderr; the table (or one JSON document with --json) on stdout.
 * A full run writes bench/RESULTS.md (between its generated-section markers);
 * --quick writes only with --write. --profile samples the connector with
 * V8's CPU profiler (what `node --cpu-prof` runs) during each measured run,
 * writes bench/.profiles/<run>.cpuprofile and prints where the time went.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openDatabase } from '@benefitkit/connector'
import { benefitApis } from '@benefitkit/shared'
import { seedInstances, seedTemplate } from '../packages/connector/test/support/seed-instances.js'
import type { LoadJob, LoadResult, PacedJob, PrepareIssueArgs } from './load-driver.js'
import {
  benchKeys,
  measureFirstAttemptLatency,
  measureOutboxDrain,
  measureStubRate,
  startStubProcess,
  type DrainResult,
  type LatencyResult,
} from './outbox.bench.js'
import { bundleEntry, repoRoot } from './support/bundle.js'
import { hmacAuthorization } from './support/hmac.js'
import { describeMachine, markdownTable, progress, textTable, type MachineInfo } from './support/machine.js'
import { summarizeProfile, type ProfileSummary } from './support/profile.js'
import { forkRpc, type RpcChild } from './support/rpc.js'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean', default: false },
    connections: { type: 'string', default: '32' },
    /**
     * Node flags for the process under test (the connector and the Koa baseline alike).
     * The default is the production setting README's "Memory" section recommends.
     */
    'server-node-args': { type: 'string', default: '--max-semi-space-size=8' },
  },
})
const SERVER_NODE_ARGS = args['server-node-args'].split(' ').filter(Boolean)

const QUICK = args.quick
const CONNECTIONS = Number(args.connections)
const P = QUICK
  ? { seconds: 2.5, halfSeconds: 3, warmSeconds: 1, signRounds: '2', signSeconds: '0.3', drainRows: 2_000, latencySamples: 50, stubSeconds: 2, helloTwice: false }
  : { seconds: 8, halfSeconds: 8, warmSeconds: 2, signRounds: '3', signSeconds: '0.7', drainRows: 10_000, latencySamples: 200, stubSeconds: 4, helloTwice: true }
const WRITE = args['no-write'] ? false : (args.write ?? !QUICK)
const CLIENT_ID = 'BENCH_PLATFORM_CLIENT'
const ISSUE_PATH = benefitApis.issueBenefit.path
const LOOKUP_USER = 'bench-user-1'
const command = `corepack pnpm bench${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`

const TARGETS = {
  issue: 0.6,
  lookup: 0.6,
  redeem: 0.3,
  drain: 0.5,
  firstAttemptP50Ms: 10,
  issueP99Ms: 20,
  rssMb: 150,
} as const

/* ------------------------------------------------------------------ helpers */

interface CpuRead {
  cpuMs: number
  rssMb: number
  peakRssMb: number
  heapUsedMb: number
  heapTotalMb: number
  externalMb: number
}

interface Measured {
  load: LoadResult
  /** CPU of the server process per correct answer, µs (all its threads). */
  cpuUsPerRequest: number
  /** Share of one core the server used during the run (CPU time ÷ wall time). */
  serverCoreShare: number
  rssMb: number
  /** 1-minute load average when the run started and ended (other work on the machine shows here). */
  loadAverage: [number, number]
}

let step = 0
const STEPS = 8
function phase(title: string): void {
  progress(`[${++step}/${STEPS}] ${title}`)
}

const PROFILE_DIR = join(repoRoot, 'bench/.profiles')
const profiled: ProfileSummary[] = []

/** One measured run: the server's CPU counted around it (and, with --profile, sampled by V8's profiler). */
async function measure(server: RpcChild, driver: RpcChild, job: LoadJob | PacedJob, profile = false, how: 'run' | 'paced' = 'run'): Promise<Measured> {
  if (profile) await server.call('profile-start', {})
  const loadBefore = loadavg()[0]!
  await server.call('cpu-mark')
  const load = await driver.call<LoadResult>(how, job)
  const cpu = await server.call<CpuRead>('cpu-read')
  const loadAfter = loadavg()[0]!
  if (profile) {
    const slug = job.label.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase()
    const { file } = await server.call<{ file: string }>('profile-stop', { file: join(PROFILE_DIR, `${slug}.cpuprofile`) })
    profiled.push({ ...summarizeProfile(file, repoRoot), file: `${job.label}: ${file.replace(`${repoRoot}/`, '')}` })
  }
  progress(
    `    → ${job.label}: ${load.rate.toFixed(0)} /s over ${load.seconds.toFixed(1)} s, ${load.ok} ok, ${load.bad} wrong, ${load.errors} errors; ` +
      `p50 ${load.latencyMs.p50.toFixed(2)} ms, p99 ${load.latencyMs.p99.toFixed(2)} ms; server CPU ${((cpu.cpuMs * 1000) / Math.max(load.ok, 1)).toFixed(0)} µs/request; ` +
      `RSS ${cpu.rssMb.toFixed(0)} MB (peak ${cpu.peakRssMb.toFixed(0)}, JS heap ${cpu.heapUsedMb.toFixed(0)}/${cpu.heapTotalMb.toFixed(0)} MB)`,
  )
  if (load.bad || load.errors) progress(`    ! ${job.label}: ${load.bad} wrong answers (${load.badSample ?? 'transport errors'}), ${load.errors} errors`)
  const serverCoreShare = cpu.cpuMs / 1000 / load.seconds
  progress(
    `      server busy ${(serverCoreShare * 100).toFixed(0)} % of a core, load generator ${(load.driverCoreShare * 100).toFixed(0)} %; load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}`,
  )
  return {
    load,
    cpuUsPerRequest: (cpu.cpuMs * 1000) / Math.max(load.ok, 1),
    serverCoreShare: Number(serverCoreShare.toFixed(3)),
    rssMb: cpu.rssMb,
    loadAverage: [Number(loadBefore.toFixed(2)), Number(loadAfter.toFixed(2))],
  }
}

function runSigningBaseline(): Promise<{ opsPerSec: number; cpuUsPerOp: number; spreadPct: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'bench/signing.bench.ts', '--json', '--rounds', P.signRounds, '--seconds', P.signSeconds, '--warmup', '0.3'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] },
    )
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`signing.bench.ts exited ${code}`))
      const report = JSON.parse(out) as {
        results: Array<{ op: string; impl: string; medianOpsPerSec: number; cpuMicrosPerOp: number; spreadPct: number }>
      }
      const raw = report.results.find((r) => r.op === 'sign' && r.impl.startsWith('raw node:crypto sign'))
      if (!raw) return reject(new Error('signing.bench.ts reported no raw node:crypto sign rate'))
      resolve({ opsPerSec: raw.medianOpsPerSec, cpuUsPerOp: raw.cpuMicrosPerOp, spreadPct: raw.spreadPct })
    })
  })
}

/**
 * Redeemable instances of one user, inserted through a second SQLite handle
 * from this process (WAL lets it write beside the idle connector), so the
 * connector's memory shows serving, not seeding. Codes go to `file`, one a line.
 */
async function seed(dbFile: string, count: number, userId: string, file: string): Promise<void> {
  const database = openDatabase(dbFile)
  try {
    const templateId = await seedTemplate(database.db)
    const codes: string[] = []
    for (let done = 0; done < count; done += 10_000) {
      const batch = Array.from({ length: Math.min(10_000, count - done) }, () => ({ userId }))
      for (const seeded of await seedInstances(database.db, batch, { templateId })) codes.push(seeded.code)
    }
    writeFileSync(file, codes.join('\n'))
  } finally {
    await database.close()
  }
}

async function userToken(url: string, secret: string, userId: string): Promise<string> {
  const path = '/v1/user-tokens'
  const body = JSON.stringify({ userId, ttlSeconds: 3600 })
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: hmacAuthorization(secret, path, body) }, body })
  if (res.status !== 200) throw new Error(`user token: HTTP ${res.status} ${await res.text()}`)
  return ((await res.json()) as { token: string }).token
}

/* --------------------------------------------------------------------- run */

interface Row {
  key: string
  figure: string
  value: string
  baseline: string
  ratioWall?: number
  ratioCpu?: number
  target: string
  verdict: string
}

async function main(): Promise<void> {
  const machine: MachineInfo = describeMachine(repoRoot)
  const busy = machine.loadAverage[0] > machine.cores
  progress(`bench: ${machine.cores} × ${machine.cpuModel}, ${machine.memoryGb} GB, node ${machine.node}; load average ${machine.loadAverage.join(' ')}${busy ? ' (busy: more runnable work than cores)' : ''}`)
  progress(`mode: ${QUICK ? 'quick' : 'full'}, ${CONNECTIONS} connections, measured runs ${P.seconds} s, servers with node ${SERVER_NODE_ARGS.join(' ') || 'defaults'}${WRITE ? ', writes bench/RESULTS.md' : ''}`)

  const work = mkdtempSync(join(tmpdir(), 'benefitkit-bench-'))
  const keys = benchKeys()
  let server: RpcChild | undefined
  let driver: RpcChild | undefined
  const children: RpcChild[] = []
  const started = performance.now()
  try {
    phase('bundling the server process, starting the load driver')
    const serverBundle = await bundleEntry(join(repoRoot, 'bench/server-process.ts'), join(work, 'bundle'))
    const onProgress = (line: string) => progress(line)
    const env = { ...process.env, BENCH_CONNECTOR_PACKAGE_JSON: join(repoRoot, 'packages/connector/package.json') }
    // Profiled, the connector runs from its sources through tsx, so the profile names our files and lines.
    const startServer = async (profile = false): Promise<RpcChild> => {
      const child = profile
        ? await forkRpc(join(repoRoot, 'bench/server-process.ts'), { env, cwd: repoRoot, execArgv: ['--expose-gc', ...SERVER_NODE_ARGS], onProgress })
        : await forkRpc(serverBundle, { tsx: false, env, cwd: repoRoot, execArgv: ['--expose-gc', ...SERVER_NODE_ARGS], onProgress })
      children.push(child)
      return child
    }
    driver = await forkRpc(join(repoRoot, 'bench/load-driver.ts'), { cwd: repoRoot, onProgress })
    children.push(driver)

    /* ---- baseline: the raw sign rate of one core */
    phase(`raw node:crypto RSA-2048 sign rate, one core (bench/signing.bench.ts, ${P.signRounds} rounds × ${P.signSeconds} s)`)
    const sign = await runSigningBaseline()
    progress(`    → ${sign.opsPerSec} signs/s, ${sign.cpuUsPerOp} CPU µs per sign (spread ${sign.spreadPct} %)`)

    /* ---- the connector: issueBenefit */
    phase('connector: issueBenefit at its maximum rate (requests signed before the clock starts)')
    server = await startServer(args.profile)
    const dbFile = join(work, 'connector.db')
    const { url } = await server.call<{ url: string }>('start-connector', {
      db: dbFile,
      clientId: CLIENT_ID,
      isvPrivateKey: keys.isv.privateKeyBase64,
      platformPublicKey: keys.platform.publicKeyBase64,
      synchronous: 'FULL',
    })
    const { templateId } = await server.call<{ templateId: string }>('template', { stock: 100_000_000 })
    const prepare = (pool: string, count: number) =>
      driver!.call<{ count: number; seconds: number }>('prepare-issue', {
        pool,
        count,
        path: ISSUE_PATH,
        clientId: CLIENT_ID,
        platformPrivateKey: keys.platform.privateKeyBase64,
        templateId,
        idPrefix: `${pool}${Date.now().toString(36)}`,
      } satisfies PrepareIssueArgs)
    const issueRequest = (pool: string) => ({ kind: 'issue' as const, pool, clientId: CLIENT_ID, isvPublicKey: keys.isv.publicKeyBase64 })
    // The warm-up also sizes the measured run: a pool for about P.seconds at the warm-up's pace (it can only be faster warm).
    const warmCount = Math.ceil(sign.opsPerSec * P.warmSeconds * 0.3)
    const warmSigned = await prepare('warm', warmCount + 2 * CONNECTIONS + 20)
    progress(`    signed ${warmSigned.count} warm-up requests in ${warmSigned.seconds.toFixed(1)} s (not counted)`)
    const warm = await driver.call<LoadResult>('run', { label: 'issue warm-up', url, connections: CONNECTIONS, amount: warmCount, capSeconds: 30, request: issueRequest('warm') } satisfies LoadJob)
    const maxCount = Math.ceil(Math.min(sign.opsPerSec, warm.rate * 1.5) * P.seconds)
    const signed = await prepare('max', maxCount + 2 * CONNECTIONS + 20)
    progress(`    signed ${signed.count} requests in ${signed.seconds.toFixed(1)} s (not counted)`)
    const issue = await measure(server, driver, {
      label: 'issueBenefit',
      url,
      connections: CONNECTIONS,
      amount: maxCount,
      capSeconds: P.seconds * 3 + 5,
      request: issueRequest('max'),
    }, args.profile)

    phase('connector: issueBenefit latency at half its maximum rate')
    const halfRate = Math.max(1, Math.floor(issue.load.rate / 2))
    const halfCount = Math.ceil(halfRate * P.halfSeconds)
    await prepare('half', halfCount + 2 * CONNECTIONS + 20)
    const half = await measure(
      server,
      driver,
      {
        label: `issueBenefit at ${halfRate}/s, paced`,
        url,
        rate: halfRate,
        count: halfCount,
        maxSockets: 256,
        capSeconds: P.halfSeconds * 3 + 5,
        request: issueRequest('half'),
      },
      false,
      'paced',
    )

    /* ---- baseline: a bare Koa hello world */
    const helloRun = async (label: string): Promise<Measured> => {
      const koa = await startServer()
      try {
        const { url: helloUrl } = await koa.call<{ url: string }>('start-koa')
        const job = (seconds: number, l: string): LoadJob => ({
          label: l,
          url: helloUrl,
          connections: CONNECTIONS,
          seconds,
          capSeconds: seconds + 10,
          request: { kind: 'static', method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: '{"benefitCode":"x"}' },
        })
        await driver!.call('run', job(P.warmSeconds, `${label} warm-up`))
        return await measure(koa, driver!, job(P.seconds, label))
      } finally {
        await koa.close()
      }
    }
    phase('baseline: bare Koa hello world (same Koa, same connections, same request size)')
    const hellos = [await helloRun('Koa hello world')]

    /* ---- the connector: redemption API */
    phase('connector: redemption lookup (user token; one indexed read, nothing written)')
    const { secret } = await server.call<{ secret: string }>('api-key')
    const lookupCodes = join(work, 'lookup-codes.txt')
    await seed(dbFile, 1000, LOOKUP_USER, lookupCodes)
    const token = await userToken(url, secret, LOOKUP_USER)
    const lookupJob = (seconds: number, label: string, auth: { token: string } | { secret: string }): LoadJob => ({
      label,
      url,
      connections: CONNECTIONS,
      seconds,
      capSeconds: seconds + 10,
      request: { kind: 'lookup', auth, codesFile: lookupCodes },
    })
    await driver.call('run', lookupJob(P.warmSeconds, 'lookup warm-up', { token }))
    const lookup = await measure(server, driver, lookupJob(P.seconds, 'lookup (user token)', { token }), args.profile)
    const lookupHmac = await measure(server, driver, lookupJob(P.seconds, 'lookup (API key: HMAC, nonce recorded)', { secret }), args.profile)

    phase('connector: redemption (HMAC with a fresh nonce, one transaction: instance USED, redemption, outbox row, idempotency record)')
    const warmCodes = join(work, 'redeem-warm-codes.txt')
    const redeemCodes = join(work, 'redeem-codes.txt')
    await seed(dbFile, 1000 + CONNECTIONS + 10, 'bench-redeem-user', warmCodes)
    const redeemWarm = await driver.call<LoadResult>('run', { label: 'redeem warm-up', url, connections: CONNECTIONS, amount: 1000, capSeconds: 30, request: { kind: 'redeem', secret, codesFile: warmCodes } } satisfies LoadJob)
    // Enough benefits for about P.seconds at 1.5 × the warm-up's pace.
    const redeemCount = Math.min(250_000, Math.ceil(Math.min(lookup.load.rate, redeemWarm.rate * 1.5) * P.seconds))
    progress(`    seeding ${redeemCount + CONNECTIONS + 10} instances…`)
    await seed(dbFile, redeemCount + CONNECTIONS + 10, 'bench-redeem-user', redeemCodes)
    const redeem = await measure(server, driver, {
      label: 'redeem',
      url,
      connections: CONNECTIONS,
      amount: redeemCount,
      capSeconds: P.seconds * 3 + 5,
      request: { kind: 'redeem', secret, codesFile: redeemCodes },
    }, args.profile)
    const counts = await server.call<Record<string, number>>('counts')
    const memory = await server.call<CpuRead>('cpu-read')
    const afterGc = await server.call<{ rssMb: number; heapUsedMb: number; heapTotalMb: number; externalMb: number; spacesMb: Record<string, number> } | null>('after-gc')
    if (afterGc) {
      progress(`    connector memory after a full GC: RSS ${afterGc.rssMb.toFixed(0)} MB, JS heap ${afterGc.heapUsedMb.toFixed(0)}/${afterGc.heapTotalMb.toFixed(0)} MB, external ${afterGc.externalMb.toFixed(0)} MB`)
      progress(`      V8 spaces committed (MB): ${Object.entries(afterGc.spacesMb).map(([k, v]) => `${k} ${v}`).join(', ')}`)
    }
    await server.close()
    server = undefined
    if (P.helloTwice) {
      progress('    Koa hello world again (the machine is shared: the baseline is the mean of a run before and after)')
      hellos.push(await helloRun('Koa hello world (again)'))
    }

    /* ---- the outbox (bench/outbox.bench.ts) */
    phase(`outbox: first attempt after commit (${P.latencySamples} samples), the stub's signed-answer rate, a drain of ${P.drainRows} syncUsedBenefit`)
    const firstAttempt: LatencyResult = await measureFirstAttemptLatency(keys, { samples: P.latencySamples })
    progress(`    → first attempt p50 ${firstAttempt.p50.toFixed(2)} ms, p99 ${firstAttempt.p99.toFixed(2)} ms`)
    const stub = await startStubProcess(keys)
    let stubRate: number
    let drain: DrainResult
    try {
      stubRate = await measureStubRate(stub.url, keys, { seconds: P.stubSeconds })
      progress(`    → stub: ${stubRate.toFixed(0)} signed answers/s`)
      await stub.reset()
      drain = await measureOutboxDrain(keys, stub.url, { rows: P.drainRows })
      const stats = await stub.stats()
      if (stats.idsWithDifferingBodies.length) throw new Error(`outbox drain: ${stats.idsWithDifferingBodies.length} ids got differing bodies`)
      if (stats.accepted < P.drainRows) throw new Error(`outbox drain: the stub accepted ${stats.accepted} of ${P.drainRows}`)
      progress(`    → drain: ${drain.rate.toFixed(0)} rows/s (${drain.seconds.toFixed(2)} s, ${drain.cpuMsPerRow.toFixed(2)} CPU ms per row)`)
    } finally {
      await stub.stop()
    }

    const profiles = profiled

    /* ---- the report */
    const helloRate = hellos.reduce((s, h) => s + h.load.rate, 0) / hellos.length
    const helloCpu = hellos.reduce((s, h) => s + h.cpuUsPerRequest, 0) / hellos.length
    const verdict = (wall: number, cpu: number | undefined, target: number) =>
      wall >= target ? 'met' : cpu !== undefined && cpu >= target ? (busy ? 'met per CPU s (busy machine)' : 'met per CPU s only') : 'MISSED'
    const f0 = (n: number) => Math.round(n).toLocaleString('en-US')
    const r2 = (n: number) => Number(n.toFixed(3))
    const rows: Row[] = []
    const ratioRow = (key: string, figure: string, m: Measured, baseRate: number, baseCpu: number, baseName: string, target: number) => {
      const wall = m.load.rate / baseRate
      const cpu = baseCpu / m.cpuUsPerRequest
      rows.push({
        key,
        figure,
        value: `${f0(m.load.rate)} /s (${f0(m.cpuUsPerRequest)} CPU µs)`,
        baseline: `${baseName} ${f0(baseRate)} /s (${f0(baseCpu)} CPU µs)`,
        ratioWall: r2(wall),
        ratioCpu: r2(cpu),
        target: `≥ ${target}`,
        verdict: verdict(wall, cpu, target),
      })
    }
    ratioRow('issue', 'issueBenefit, signed both ways', issue, sign.opsPerSec, sign.cpuUsPerOp, 'raw RSA-2048 sign, 1 core', TARGETS.issue)
    ratioRow('lookup', 'redemption lookup (user token)', lookup, helloRate, helloCpu, 'bare Koa hello world', TARGETS.lookup)
    rows.push({
      key: 'lookupHmac',
      figure: 'redemption lookup (API key, HMAC; nonce written)',
      value: `${f0(lookupHmac.load.rate)} /s (${f0(lookupHmac.cpuUsPerRequest)} CPU µs)`,
      baseline: `bare Koa hello world ${f0(helloRate)} /s`,
      ratioWall: r2(lookupHmac.load.rate / helloRate),
      ratioCpu: r2(helloCpu / lookupHmac.cpuUsPerRequest),
      target: '(no target)',
      verdict: '—',
    })
    ratioRow('redeem', 'redemption (HMAC, 1 transaction, outbox row)', redeem, helloRate, helloCpu, 'bare Koa hello world', TARGETS.redeem)
    const drainRatio = drain.rate / stubRate
    rows.push({
      key: 'drain',
      figure: `outbox drain of ${f0(P.drainRows)} syncUsedBenefit`,
      value: `${f0(drain.rate)} /s (${drain.cpuMsPerRow.toFixed(2)} CPU ms/row)`,
      baseline: `stub's signed answers ${f0(stubRate)} /s`,
      ratioWall: r2(drainRatio),
      target: `≥ ${TARGETS.drain}`,
      verdict: drainRatio >= TARGETS.drain ? 'met' : 'MISSED',
    })
    rows.push({
      key: 'firstAttempt',
      figure: 'outbox first attempt after commit',
      value: `p50 ${firstAttempt.p50.toFixed(2)} ms, p99 ${firstAttempt.p99.toFixed(2)} ms`,
      baseline: `${firstAttempt.samples} samples`,
      target: `p50 ≤ ${TARGETS.firstAttemptP50Ms} ms`,
      verdict: firstAttempt.p50 <= TARGETS.firstAttemptP50Ms ? 'met' : 'MISSED',
    })
    rows.push({
      key: 'issueLatency',
      figure: `issueBenefit latency at half max (${f0(halfRate)} /s)`,
      value: `p50 ${half.load.latencyMs.p50.toFixed(2)} ms, p99 ${half.load.latencyMs.p99.toFixed(2)} ms`,
      baseline: `${f0(half.load.latencyMs.samples)} requests paced evenly, open loop; max ${half.load.latencyMs.max.toFixed(1)} ms`,
      target: `p99 ≤ ${TARGETS.issueP99Ms} ms`,
      verdict: half.load.latencyMs.p99 <= TARGETS.issueP99Ms ? 'met' : 'MISSED',
    })
    rows.push({
      key: 'rss',
      figure: 'peak RSS of the connector process',
      value: `${memory.peakRssMb.toFixed(0)} MB`,
      baseline: `Koa hello world ${Math.max(...hellos.map((h) => h.rssMb)).toFixed(0)} MB; connector after a full GC ${afterGc ? afterGc.rssMb.toFixed(0) : '?'} MB (live JS heap ${afterGc ? afterGc.heapUsedMb.toFixed(0) : '?'} MB)`,
      target: `≤ ${TARGETS.rssMb} MB`,
      verdict: memory.peakRssMb <= TARGETS.rssMb ? 'met' : 'MISSED',
    })

    const totalSeconds = (performance.now() - started) / 1000
    const loadAtEnd = loadavg().map((n) => Number(n.toFixed(2)))
    const result = {
      command,
      machine,
      loadAverageAtEnd: loadAtEnd,
      busy,
      mode: QUICK ? 'quick' : 'full',
      serverNodeArgs: SERVER_NODE_ARGS,
      connections: CONNECTIONS,
      seconds: Number(totalSeconds.toFixed(1)),
      baselines: { sign, hello: hellos.map((h) => ({ rate: h.load.rate, cpuUsPerRequest: h.cpuUsPerRequest })), helloRate, helloCpuUsPerRequest: helloCpu, stubRate },
      runs: { issue, half, lookup, lookupHmac, redeem, hellos },
      outbox: { drain, firstAttempt },
      memory,
      afterGc,
      counts,
      rows,
      profiles,
    }

    const tableRows = [
      ['figure', 'value', 'baseline (same run)', 'ratio', 'ratio per CPU s', 'target', 'verdict'],
      ...rows.map((r) => [r.figure, r.value, r.baseline, r.ratioWall?.toFixed(3) ?? '', r.ratioCpu?.toFixed(3) ?? '', r.target, r.verdict]),
    ]
    const head = [
      `benefitkit bench — ${machine.date}, commit ${machine.commit}`,
      `machine: ${machine.cores} × ${machine.cpuModel}, ${machine.memoryGb} GB RAM, ${machine.platform}, node ${machine.node}; load average at start ${machine.loadAverage.join(' ')}, at the end ${loadAtEnd.join(' ')}`,
      `command: ${command}  (${result.mode}, ${CONNECTIONS} connections, ${P.seconds} s per measured run, ${totalSeconds.toFixed(0)} s in all; servers run with node ${SERVER_NODE_ARGS.join(' ') || 'defaults'})`,
    ]
    if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
    else {
      const out = ['', ...head, '', textTable(tableRows), '']
      for (const p of profiles) {
        out.push(`profile of ${p.file} (${(p.totalMs / 1000).toFixed(1)} s sampled)`)
        for (const x of p.byPlace.slice(0, 12)) out.push(`  ${x.pct.toFixed(1).padStart(5)} %  ${x.place}`)
        out.push('  top functions (self time):')
        for (const x of p.byFunction.slice(0, 20)) out.push(`  ${x.pct.toFixed(1).padStart(5)} %  ${x.name}`)
        out.push('')
      }
      process.stdout.write(`${out.join('\n')}\n`)
    }
    if (WRITE) writeResults(head, tableRows, result)
  } finally {
    for (const child of children.reverse()) await child.close().catch(() => undefined)
    if (profiled.length) progress(`cpu profiles written to bench/.profiles/ (open them in Chrome DevTools → Performance)`)
    rmSync(work, { recursive: true, force: true })
  }
}

const START = '<!-- bench:results:start (written by bench/run.ts; edit outside these markers) -->'
const END = '<!-- bench:results:end -->'

function writeResults(head: string[], tableRows: string[][], result: unknown): void {
  const file = join(repoRoot, 'bench/RESULTS.md')
  const generated = [
    START,
    '',
    ...head.map((h) => `${h}  `),
    '',
    markdownTable(tableRows),
    '',
    '<details><summary>All numbers of this run (JSON)</summary>',
    '',
    '```json',
    JSON.stringify(result, null, 1),
    '```',
    '',
    '</details>',
    '',
    END,
  ].join('\n')
  let text = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmark results\n\n${START}\n${END}\n`
  const a = text.indexOf(START.slice(0, 30))
  const b = text.indexOf(END)
  text = a >= 0 && b > a ? text.slice(0, a) + generated + text.slice(b + END.length) : `${text}\n${generated}\n`
  writeFileSync(file, text)
  progress('wrote bench/RESULTS.md')
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
  process.exitCode = 1
})
