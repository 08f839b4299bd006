/**
 * `corepack pnpm soak`: a crash soak. A connector in a child process (its own
 * SQLite file) serves a steady mix of issueBenefit, reverseBenefitIssue and
 * redemptions from a load driver that signs like the platform and like a
 * checkout; it is killed with SIGKILL at random moments and started again,
 * `--kills` times. A platform stub (in this process) records every
 * syncUsedBenefit and accepts syncBenefit, with a few faults of its own.
 * Afterwards everything is checked against what the driver was told:
 *
 *   - every redemption the checkout saw succeed was delivered: its
 *     benefitUseRequestId reached the platform, with the same body every time;
 *   - no instance was used twice (database, platform, and the checkout's answers);
 *   - stock equals its start minus the live issues (and per-user counts agree);
 *   - no issuing is half written: every ISSUED issuing has exactly `quantity`
 *     live instances, every REVERSED one has all of them REVERSED, the others none;
 *   - every acknowledged issue and reversal is what the database holds, and
 *     repeats got byte-identical answers.
 *
 *   corepack pnpm soak [--kills 200] [--workers 8] [--seed N] [--min-up-ms 150] [--max-up-ms 1200] [--json] [--tsx]
 *
 * Progress on stderr; the counts (or one JSON document) on stdout; exit code 1
 * on any violation. test/soak.test.ts runs a short version in CI.
 *
 * The connector child is test/support/outbox-child.ts of the connector
 * package, bundled with esbuild (support/bundle.ts): it starts in ~0.5 s
 * instead of ~3.5 s through tsx, so hundreds of restarts fit in minutes.
 * `--tsx` runs it from the sources through tsx instead.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { applySyncOutcome, createApiKey, createTemplate, migrateToLatest, openDatabase } from '@benefitkit/connector'
import { benefitApis, classifyAnswer, formatProtocolTime, type IsvApiName } from '@benefitkit/shared'
import { generateRsaKeyPair, loadPrivateKey, loadPublicKey, PublicKeyring, signRequest, verifyResponse, type SigningKey } from '@benefitkit/shared/signing'
import { startPlatformStub, type PlatformStub } from '../packages/connector/test/support/platform-stub.js'
import { bundleEntry, repoRoot } from './support/bundle.js'
import { hmacAuthorization } from './support/hmac.js'

const CLIENT_ID = 'SOAK_CLIENT_0001'
const START_STOCK = 1_000_000
const PER_USER_LIMIT = 6
const USERS = 400
const DAY = 86_400_000
const CHILD_ENTRY = join(repoRoot, 'packages/connector/test/support/outbox-child.ts')

export interface SoakOptions {
  kills: number
  /** Concurrent load loops. */
  workers?: number
  /** How long a connector runs before it is killed: uniform in [min, max] ms after it is ready. */
  minUpMs?: number
  maxUpMs?: number
  /** Share of kills that hit during start-up (before "ready"). */
  startupKillShare?: number
  seed?: number
  /** Run the child through tsx instead of the esbuild bundle. */
  tsx?: boolean
  /** A ready-built child script run by plain node instead of the bundle (checking the checker against a broken connector). */
  childScript?: string
  /** Stop killing once this much time has passed (the rest of the kills are skipped and reported). */
  timeLimitMs?: number
  onProgress?: (line: string) => void
}

export interface SoakReport {
  kills: number
  killsDuringStartup: number
  killsSkipped: number
  starts: number
  seconds: number
  issues: { sent: number; retries: number; acknowledged: number; refused: number; reversedBeforeKnown: number; unresolved: number }
  reverses: { sent: number; acknowledged: number; tombstones: number; unresolved: number }
  redemptions: { sent: number; retries: number; acknowledged: number; replaysChecked: number; doubleSpendProbes: number; unresolved: number }
  instances: { live: number; used: number; reversed: number }
  stock: { start: number; issued: number; left: number }
  platform: { syncUsedBenefitAccepted: number; calls: number; faultsInjected: number }
  outbox: { rows: number; delivered: number; notDelivered: number }
  transportErrors: number
  violations: string[]
}

/* ------------------------------------------------------------- randomness */

/** mulberry32: a seeded PRNG so a failing soak can be replayed with --seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/* ----------------------------------------------------------------- HTTP */

interface Answer {
  status: number
  headers: Record<string, string>
  body: string
}

function post(agent: Agent, url: string, path: string, headers: Record<string, string>, body: string, timeoutMs = 5_000): Promise<Answer> {
  const target = new URL(url)
  return new Promise((resolvePost, reject) => {
    const req = httpRequest(
      { host: target.hostname, port: target.port, method: 'POST', path, agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const flat: Record<string, string> = {}
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') flat[k] = v
          resolvePost({ status: res.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks).toString('utf8') })
        })
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end(body)
  })
}

/* ------------------------------------------------------- the driver's books */

interface IssuedInstance {
  id: string
  code: string
  pin?: string
}

interface IssueRecord {
  id: string
  body: string
  userId: string
  quantity: number
  state: 'unknown' | 'issued' | 'refused' | 'reversed'
  /** The first SUCCESS answer's body; every later SUCCESS must be identical. */
  successBody?: string
  instances?: IssuedInstance[]
  /** A reversal is in flight or unresolved: no redeem may pick its instances. */
  reversing: boolean
  /** What the driver asked for the unresolved reversal (retried as is). */
  reverseBody?: string
  attempts: number
}

interface RedeemRecord {
  key: string
  body: string
  instanceId: string
  issuingId: string
  state: 'unknown' | 'done'
  /** The 200 answer's body (the first; replays must repeat it byte for byte). */
  answer?: string
  redemptionId?: string
  /** A deliberate second redeem of a used instance with a new key: must be refused. */
  probe: boolean
  attempts: number
}

type Task = { kind: 'issue'; record: IssueRecord } | { kind: 'reverse'; record: IssueRecord } | { kind: 'redeem'; record: RedeemRecord }

/* ---------------------------------------------------------------- the soak */

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const say = options.onProgress ?? (() => {})
  const seed = options.seed ?? (Date.now() & 0x7fffffff)
  const random = prng(seed)
  const workers = options.workers ?? 8
  const minUp = options.minUpMs ?? 150
  const maxUp = Math.max(minUp, options.maxUpMs ?? 1_200)
  const startupShare = options.startupKillShare ?? 0.1
  const started = performance.now()
  const violations: string[] = []
  const violate = (message: string) => {
    if (violations.length < 200) violations.push(message)
  }
  say(`soak: ${options.kills} kills, ${workers} load loops, seed ${seed}`)

  const work = mkdtempSync(join(tmpdir(), 'benefitkit-soak-'))
  const dbFile = join(work, 'soak.db')
  const log: WriteStream = createWriteStream(join(work, 'connector.log'))
  const isv = generateRsaKeyPair()
  const platform = generateRsaKeyPair()
  const platformKey: SigningKey = { keyVersion: '1', privateKey: loadPrivateKey(platform.privateKeyBase64) }
  const isvKeyring = new PublicKeyring([['1', loadPublicKey(isv.publicKeyBase64)]])
  let stub: PlatformStub | undefined
  let child: ChildProcess | undefined

  try {
    /* ---- the database: one SYNCED template, an API key */
    const now0 = Date.now()
    const setup = openDatabase(dbFile)
    let templateId: string
    let secret: string
    try {
      const migration = await migrateToLatest(setup.db)
      if (migration.error) throw migration.error
      const created = await createTemplate(
        { db: setup.db },
        {
          benefitProductCode: 'SPICE_SECRET_VOUCHER',
          benefitTitle: 'Soak voucher',
          benefitBeginTime: formatProtocolTime(now0 - DAY, 480),
          benefitEndTime: formatProtocolTime(now0 + 30 * DAY, 480),
          benefitValidPeriod: { type: 'RELATIVE', validDays: 30 },
          clientCode: 'ALIPAY_HK',
          benefitContent: { amount: { currency: 'HKD', value: '1000' }, codeType: 'CODE_AND_PIN' },
          benefitBudget: { totalQuantity: START_STOCK, perUserLimit: PER_USER_LIMIT },
        },
      )
      await applySyncOutcome(setup.db, { syncRequestId: created.benefitSyncRequestId, syncStatus: 'SUCCESS', now: now0 })
      templateId = created.template.benefitTemplateId
      secret = (await createApiKey(setup.db, { name: 'soak checkout' })).secret
    } finally {
      await setup.close()
    }

    /* ---- the platform stub: records and answers, now and then badly */
    stub = await startPlatformStub({ clientId: CLIENT_ID, isvKeyring, signing: platformKey })
    const faults = [
      stub.inject({ kind: 'http', status: 503 }, { probability: 0.03 }),
      stub.inject({ kind: 'drop' }, { probability: 0.02, afterProcessing: true }),
      stub.inject({ kind: 'delay', ms: 30 }, { probability: 0.05 }),
    ]

    /* ---- the connector child */
    const entry = options.childScript ?? (options.tsx ? CHILD_ENTRY : await bundleEntry(CHILD_ENTRY, join(work, 'bundle')))
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      BENEFITKIT_DB: dbFile,
      BENEFITKIT_HOST: '127.0.0.1',
      BENEFITKIT_PORT: '0',
      BENEFITKIT_CLIENT_ID: CLIENT_ID,
      BENEFITKIT_PRIVATE_KEY: isv.privateKeyBase64,
      BENEFITKIT_PLATFORM_PUBLIC_KEY: platform.publicKeyBase64,
      BENEFITKIT_PLATFORM_URL: stub.url,
      BENEFITKIT_PLATFORM_TIMEOUT_MS: '1000',
      BENEFITKIT_RATE_LIMIT_PER_SECOND: '100000',
      BENEFITKIT_LOG_LEVEL: 'warn',
      // Short retry waits and leases, so rows a kill left in flight come back within the soak.
      BENEFITKIT_TEST_OUTBOX: JSON.stringify({
        leaseMs: 3_000,
        pollIntervalMs: 200,
        quickRetries: { retries: 1, minTimeoutMs: 20, maxTimeoutMs: 50 },
        schedule: { delaysMs: [100, 300, 600], thenEveryMs: 1_000, jitter: 0.2 },
        reconciler: false,
      }),
    }
    let url: string | undefined
    let agent = new Agent({ keepAlive: true, maxSockets: workers * 2 })
    let upWaiters: Array<() => void> = []
    let starts = 0
    const startChild = (): { ready: Promise<string>; exited: Promise<void> } => {
      starts++
      const proc = spawn(process.execPath, [...(options.tsx ? ['--conditions=source', '--import', 'tsx'] : []), entry], {
        cwd: repoRoot,
        env: childEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child = proc
      proc.stderr!.pipe(log, { end: false })
      const exited = new Promise<void>((r) => proc.once('exit', () => r()))
      const ready = new Promise<string>((resolveReady, reject) => {
        let out = ''
        proc.stdout!.on('data', (c: Buffer) => {
          out += c.toString()
          const m = /ready (\S+)/.exec(out)
          if (m) resolveReady(m[1]!)
        })
        proc.once('exit', (code, signal) => reject(new Error(`connector exited before ready (${code ?? signal})`)))
      })
      ready.catch(() => undefined)
      return { ready, exited }
    }
    const markUp = (u: string) => {
      url = u
      agent = new Agent({ keepAlive: true, maxSockets: workers * 2 })
      for (const w of upWaiters) w()
      upWaiters = []
    }
    const markDown = () => {
      url = undefined
      agent.destroy()
    }
    const whenUp = (): Promise<void> => (url ? Promise.resolve() : new Promise((r) => upWaiters.push(r)))

    /* ---- the load */
    const issues: IssueRecord[] = []
    const issued: IssueRecord[] = [] // acknowledged, not reversed
    const redeems: RedeemRecord[] = []
    const retries: Task[] = []
    /** instance id → state in the driver's eyes. */
    const instanceState = new Map<string, 'free' | 'redeeming' | 'used'>()
    const instanceIssuing = new Map<string, IssueRecord>()
    let transportErrors = 0
    let issueSeq = 0
    let redeemSeq = 0
    const counts = {
      issueSent: 0,
      issueRetries: 0,
      reverseSent: 0,
      redeemSent: 0,
      redeemRetries: 0,
      replaysChecked: 0,
      probes: 0,
      reversedBeforeKnown: 0,
      tombstones: 0,
    }

    const signed = (api: IsvApiName, body: string) => signRequest({ path: benefitApis[api].path, clientId: CLIENT_ID, body, key: platformKey })

    /** A platform call: its outcome as the platform would classify it (U when in doubt). */
    async function platformCall(api: IsvApiName, body: string): Promise<{ status: 'S' | 'F' | 'U'; code: string; json?: any; raw?: string }> {
      const u = url
      if (!u) return { status: 'U', code: 'DOWN' }
      let answer: Answer
      try {
        answer = await post(agent, u, benefitApis[api].path, signed(api, body), body)
      } catch {
        transportErrors++
        return { status: 'U', code: 'TRANSPORT' }
      }
      let json: unknown
      try {
        json = JSON.parse(answer.body)
      } catch {
        json = undefined
      }
      const signatureValid = verifyResponse({ path: benefitApis[api].path, clientId: CLIENT_ID, headers: answer.headers, body: answer.body, keyring: isvKeyring })
      if (answer.status === 200 && !signatureValid) violate(`${api}: an answer with HTTP 200 was not signed by the connector: ${answer.body.slice(0, 200)}`)
      const outcome = classifyAnswer({ httpStatus: answer.status, signatureValid, body: json })
      // A kill cuts connections; it must never make the connector answer "internal error".
      if (outcome.code === 'SYSTEM_ERROR') violate(`${api}: SYSTEM_ERROR answer: ${answer.body.slice(0, 200)}`)
      return { status: outcome.status, code: outcome.code, json, raw: answer.body }
    }

    function newIssue(): IssueRecord {
      // A pool of users that grows with the load, so some hit their limit and most can still collect.
      const userId = `soak_user_${Math.floor(random() * (USERS + issueSeq / 4))}`
      const id = `soak_${seed.toString(36)}_${++issueSeq}`
      const quantity = 1 + Math.floor(random() * 3)
      const body = JSON.stringify({ benefitIssueRequestId: id, userId, benefitTemplateId: templateId, quantity })
      const record: IssueRecord = { id, body, userId, quantity, state: 'unknown', reversing: false, attempts: 0 }
      issues.push(record)
      return record
    }

    async function doIssue(record: IssueRecord): Promise<void> {
      record.attempts++
      const outcome = await platformCall('issueBenefit', record.body)
      if (outcome.status === 'U') {
        // The platform retries an unknown issue, and after a few tries may give up and reverse it.
        if (record.state === 'unknown' && random() < 0.3) {
          record.reversing = true
          retries.push({ kind: 'reverse', record })
        } else retries.push({ kind: 'issue', record })
        return
      }
      if (outcome.status === 'F') {
        if (record.state === 'issued') violate(`issue ${record.id}: SUCCESS earlier, now ${outcome.code}: ${outcome.raw}`)
        if (record.state === 'unknown') record.state = 'refused'
        return
      }
      // S
      if (record.successBody !== undefined) {
        if (record.successBody !== outcome.raw) violate(`issue ${record.id}: a repeat answered differently:\n  ${record.successBody}\n  ${outcome.raw}`)
        return
      }
      if (record.state === 'reversed' || record.state === 'refused') {
        violate(`issue ${record.id}: SUCCESS after the driver saw it ${record.state}: ${outcome.raw}`)
        return
      }
      const details = (outcome.json?.benefitDetails ?? []) as Array<{ benefitInstanceId: string; benefitCode?: string; benefitPin?: string }>
      if (details.length !== record.quantity) violate(`issue ${record.id}: SUCCESS with ${details.length} instances for quantity ${record.quantity}`)
      record.successBody = outcome.raw
      record.state = 'issued'
      record.instances = details.map((d) => ({ id: d.benefitInstanceId, code: d.benefitCode ?? '', ...(d.benefitPin ? { pin: d.benefitPin } : {}) }))
      for (const instance of record.instances) {
        instanceState.set(instance.id, 'free')
        instanceIssuing.set(instance.id, record)
      }
      issued.push(record)
    }

    async function doReverse(record: IssueRecord): Promise<void> {
      counts.reverseSent++
      record.reversing = true
      record.reverseBody ??= JSON.stringify({ benefitIssueRequestId: record.id, userId: record.userId, benefitTemplateId: templateId, quantity: record.quantity })
      const outcome = await platformCall('reverseBenefitIssue', record.reverseBody)
      if (outcome.status === 'U') {
        retries.push({ kind: 'reverse', record })
        return
      }
      if (outcome.status === 'F') {
        violate(`reverse ${record.id}: refused (${outcome.code}) although none of its instances was redeemed: ${outcome.raw}`)
        record.reversing = false
        return
      }
      if (record.state === 'unknown') {
        counts.reversedBeforeKnown++
        if (/nothing was issued/.test(outcome.json?.resultMessage ?? '')) counts.tombstones++
      }
      record.state = 'reversed'
      record.reversing = false
      const at = issued.indexOf(record)
      if (at >= 0) issued.splice(at, 1)
    }

    function pickReversal(): IssueRecord | undefined {
      for (let tries = 0; tries < 5 && issued.length; tries++) {
        const record = issued[Math.floor(random() * issued.length)]!
        if (record.reversing) continue
        if (record.instances!.every((i) => instanceState.get(i.id) === 'free')) return record
      }
      return undefined
    }

    function newRedeem(): RedeemRecord | undefined {
      for (let tries = 0; tries < 5 && issued.length; tries++) {
        const issuing = issued[Math.floor(random() * issued.length)]!
        if (issuing.reversing) continue
        const instance = issuing.instances![Math.floor(random() * issuing.instances!.length)]!
        const state = instanceState.get(instance.id)
        const probe = state === 'used'
        if (state === 'redeeming' || (probe && random() > 0.05)) continue
        if (!probe) instanceState.set(instance.id, 'redeeming')
        const body = JSON.stringify({ benefitCode: instance.code, benefitPin: instance.pin, userId: issuing.userId, orderId: `order-${++redeemSeq}` })
        const record: RedeemRecord = {
          key: `soak-${seed.toString(36)}-${redeemSeq}-${randomBytes(4).toString('hex')}`,
          body,
          instanceId: instance.id,
          issuingId: issuing.id,
          state: 'unknown',
          probe,
          attempts: 0,
        }
        if (probe) counts.probes++
        redeems.push(record)
        return record
      }
      return undefined
    }

    async function doRedeem(record: RedeemRecord, replay = false): Promise<void> {
      const u = url
      if (!u) {
        retries.push({ kind: 'redeem', record })
        return
      }
      record.attempts++
      const path = '/v1/redemptions'
      let answer: Answer
      try {
        answer = await post(agent, u, path, { 'content-type': 'application/json', authorization: hmacAuthorization(secret, path, record.body), 'idempotency-key': record.key }, record.body)
      } catch {
        transportErrors++
        if (!replay) retries.push({ kind: 'redeem', record })
        return
      }
      const code = (() => {
        try {
          return (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code
        } catch {
          return undefined
        }
      })()
      if (answer.status === 200) {
        if (record.probe) {
          violate(`redeem probe: instance ${record.instanceId} was redeemed a second time with a new Idempotency-Key: ${answer.body.slice(0, 300)}`)
          return
        }
        if (record.answer !== undefined) {
          counts.replaysChecked++
          if (answer.body !== record.answer) violate(`redeem ${record.key}: a repeat got another answer:\n  ${record.answer}\n  ${answer.body}`)
          return
        }
        record.answer = answer.body
        record.redemptionId = (JSON.parse(answer.body) as { redemption: { redemptionId: string } }).redemption.redemptionId
        record.state = 'done'
        instanceState.set(record.instanceId, 'used')
        return
      }
      if (answer.status === 500) violate(`redeem ${record.key}: HTTP 500 ${answer.body.slice(0, 200)}`)
      if (answer.status >= 500 || answer.status === 429 || code === 'IDEMPOTENCY_KEY_IN_USE') {
        if (!replay) retries.push({ kind: 'redeem', record })
        return
      }
      if (record.probe && answer.status === 409 && code === 'BENEFIT_ALREADY_USED') {
        record.state = 'done'
        return
      }
      violate(`redeem ${record.key} of ${record.instanceId}${record.probe ? ' (probe)' : ''}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`)
      record.state = 'done'
      if (!record.probe) instanceState.set(record.instanceId, 'free')
    }

    async function runTask(task: Task): Promise<void> {
      if (task.kind === 'issue') {
        counts.issueRetries++
        return doIssue(task.record)
      }
      if (task.kind === 'reverse') return doReverse(task.record)
      counts.redeemRetries++
      return doRedeem(task.record)
    }

    let stopLoad = false
    async function loop(): Promise<void> {
      while (!stopLoad) {
        await whenUp()
        if (stopLoad) return
        if (retries.length && random() < 0.5) {
          await runTask(retries.shift()!)
          continue
        }
        const r = random()
        if (r < 0.45) {
          counts.issueSent++
          await doIssue(newIssue())
        } else if (r < 0.57) {
          const record = pickReversal()
          if (record) await doReverse(record)
        } else if (r < 0.97) {
          const record = newRedeem()
          if (record) {
            counts.redeemSent++
            await doRedeem(record)
          }
        } else {
          // A checkout repeating a redeem it already has the answer to: the same answer, byte for byte.
          const done = redeems.filter((x) => x.answer !== undefined)
          if (done.length) await doRedeem(done[Math.floor(random() * done.length)]!, true)
        }
        // Leave the event loop a breath: the stub lives in this process too.
        if (random() < 0.1) await sleep(1)
      }
    }

    /* ---- kill, restart, repeat */
    const loops = Array.from({ length: workers }, () => loop())
    let kills = 0
    let killsDuringStartup = 0
    let killsSkipped = 0
    const killChild = async (exited: Promise<void>) => {
      child?.kill('SIGKILL')
      await exited
    }
    for (let k = 0; k < options.kills; k++) {
      if (options.timeLimitMs !== undefined && performance.now() - started > options.timeLimitMs) {
        killsSkipped = options.kills - k
        say(`soak: time limit reached, ${killsSkipped} kills skipped`)
        break
      }
      const { ready, exited } = startChild()
      if (random() < startupShare) {
        // Mid-start: opening the file, migrating, recovering the WAL, or just listening.
        await Promise.race([sleep(Math.floor(random() * 400)), ready.catch(() => undefined)])
        await Promise.race([sleep(Math.floor(random() * 30)), exited])
        markDown()
        await killChild(exited)
        kills++
        killsDuringStartup++
        if (kills % 10 === 0) say(`  kill ${kills}/${options.kills} (during start-up)`)
        continue
      }
      let u: string
      try {
        u = await ready
      } catch (error) {
        violate(`the connector did not start after kill ${kills}: ${(error as Error).message}`)
        break
      }
      markUp(u)
      await sleep(minUp + Math.floor(random() * (maxUp - minUp)))
      markDown()
      await killChild(exited)
      kills++
      if (kills % 10 === 0 || kills === options.kills) {
        say(
          `  kill ${kills}/${options.kills}: ${counts.issueSent} issues (${issued.length} live), ${counts.reverseSent} reversals, ` +
            `${redeems.filter((r) => r.state === 'done' && !r.probe).length} redemptions, ${stub.acceptedCount('syncUsedBenefit')} syncUsedBenefit accepted, ` +
            `${retries.length} to retry, ${violations.length} violations`,
        )
      }
    }

    /* ---- the end: one last start, settle every open question, let the outbox drain */
    say('soak: last start — settling unknown outcomes, draining the outbox')
    const last = startChild()
    markUp(await last.ready)
    stopLoad = true
    await Promise.all(loops)
    const settleDeadline = performance.now() + 60_000
    while (retries.length && performance.now() < settleDeadline) {
      const batch = retries.splice(0, retries.length)
      await Promise.all(batch.map((t) => runTask(t)))
      if (retries.length) await sleep(50)
    }
    const verify = openDatabase(dbFile)
    const sqlite = verify.sqlite
    const outboxOpen = () => (sqlite.prepare("select count(*) as n from outbox where state in ('pending', 'in_flight')").get() as { n: number }).n
    const drainDeadline = performance.now() + 60_000
    while (outboxOpen() > 0 && performance.now() < drainDeadline) await sleep(100)
    markDown()
    child!.kill('SIGTERM')
    await last.exited
    for (const f of faults) f.remove()

    /* ---- verification */
    const unresolvedIssues = issues.filter((r) => r.state === 'unknown' || r.reversing).length
    if (retries.length) violate(`${retries.length} operations still had unknown outcomes after 60 s against a healthy connector`)
    const open = outboxOpen()
    if (open) violate(`${open} outbox rows were still not delivered 60 s after the last start`)

    type Row = Record<string, any>
    const all = (q: string, ...p: unknown[]) => sqlite.prepare(q).all(...p) as Row[]
    const one = (q: string, ...p: unknown[]) => sqlite.prepare(q).get(...p) as Row

    // No issuing half written.
    for (const row of all(`
      select i.request_id, i.state, i.quantity, i.answer_json is not null as answered,
             count(n.id) as n, sum(n.state = 'REVERSED') as reversed, sum(n.state in ('ACTIVATED', 'USED')) as live
      from issuings i left join instances n on n.issuing_id = i.request_id
      group by i.request_id`)) {
      if (row.state === 'ISSUED' && (row.n !== row.quantity || row.live !== row.quantity || !row.answered)) {
        violate(`issuing ${row.request_id} ISSUED with ${row.n} instances (${row.live} live) for quantity ${row.quantity}${row.answered ? '' : ', no stored answer'}`)
      }
      if (row.state === 'REVERSED' && (row.n !== row.quantity || row.reversed !== row.quantity)) {
        violate(`issuing ${row.request_id} REVERSED with ${row.reversed} of ${row.n} instances reversed for quantity ${row.quantity}`)
      }
      if ((row.state === 'REJECTED' || row.state === 'TOMBSTONE') && row.n !== 0) violate(`issuing ${row.request_id} ${row.state} has ${row.n} instances`)
    }

    // Stock and per-user counts.
    const template = one('select total_quantity, issued_quantity from templates where id = ?', templateId)
    const live = one(
      "select count(*) as n from instances n join issuings i on i.request_id = n.issuing_id where n.template_id = ? and i.state = 'ISSUED'",
      templateId,
    ).n as number
    if (template.total_quantity !== START_STOCK) violate(`total stock changed: ${template.total_quantity}`)
    if (template.total_quantity - template.issued_quantity !== START_STOCK - live) {
      violate(`stock left ${template.total_quantity - template.issued_quantity} ≠ start ${START_STOCK} − live issues ${live}`)
    }
    for (const row of all(`
      select c.user_id, c.issued, (select count(*) from instances n join issuings i on i.request_id = n.issuing_id
                                   where n.user_id = c.user_id and n.template_id = c.template_id and i.state = 'ISSUED') as live
      from user_template_counts c where c.template_id = ?`, templateId)) {
      if (row.issued !== row.live) violate(`user ${row.user_id}: count ${row.issued} ≠ live instances ${row.live}`)
    }

    // What the driver was told matches the database.
    const issuingState = new Map(all('select request_id, state from issuings').map((r) => [r.request_id as string, r.state as string]))
    const instanceRows = new Map(all('select id, issuing_id, code, pin, state from instances').map((r) => [r.id as string, r]))
    for (const record of issues) {
      const state = issuingState.get(record.id)
      if (record.state === 'issued') {
        if (state !== 'ISSUED') violate(`issue ${record.id} acknowledged, database says ${state}`)
        for (const instance of record.instances!) {
          const row = instanceRows.get(instance.id)
          if (!row || row.issuing_id !== record.id || row.code !== instance.code) violate(`issue ${record.id}: instance ${instance.id} from its answer is not in the database as answered`)
        }
      }
      // Reversed: nothing live under the id — reversed, never issued (tombstone), or refused in the first place.
      if (record.state === 'reversed' && state !== 'REVERSED' && state !== 'TOMBSTONE' && state !== 'REJECTED') {
        violate(`issue ${record.id} reversal acknowledged, database says ${state}`)
      }
      if (record.state === 'refused' && state === 'ISSUED') violate(`issue ${record.id} refused to the platform, database says ISSUED`)
    }

    // Redemptions: the database, the platform and the checkout agree; none twice.
    const redemptionRows = all('select instance_id, use_request_id, id from redemptions')
    const byInstance = new Map<string, Row>()
    for (const row of redemptionRows) {
      if (byInstance.has(row.instance_id)) violate(`instance ${row.instance_id} has two redemptions`)
      byInstance.set(row.instance_id, row)
    }
    const usedCount = one("select count(*) as n from instances where state = 'USED'").n as number
    if (usedCount !== redemptionRows.length) violate(`${usedCount} USED instances, ${redemptionRows.length} redemptions`)
    const acknowledged = redeems.filter((r) => r.answer !== undefined)
    const seenRedemption = new Map<string, string>()
    for (const record of acknowledged) {
      const previous = seenRedemption.get(record.instanceId)
      if (previous && previous !== record.redemptionId) violate(`instance ${record.instanceId} redeemed twice for the checkout: ${previous}, ${record.redemptionId}`)
      seenRedemption.set(record.instanceId, record.redemptionId!)
      const row = byInstance.get(record.instanceId)
      if (!row || row.id !== record.redemptionId) {
        violate(`redemption ${record.redemptionId} of ${record.instanceId} acknowledged to the checkout is not in the database`)
        continue
      }
      if (instanceRows.get(record.instanceId)?.state !== 'USED') violate(`instance ${record.instanceId} redeemed but not USED`)
      const bodies = stub.bodies(row.use_request_id, 'syncUsedBenefit')
      if (!stub.isAccepted(row.use_request_id, 'syncUsedBenefit')) violate(`syncUsedBenefit ${row.use_request_id} (instance ${record.instanceId}) never reached the platform`)
      else if (bodies.some((b) => b !== bodies[0])) violate(`syncUsedBenefit ${row.use_request_id}: bodies differed between attempts`)
      else if ((JSON.parse(bodies[0]!) as { benefitInstanceId?: string }).benefitInstanceId !== record.instanceId) {
        violate(`syncUsedBenefit ${row.use_request_id} names another instance than ${record.instanceId}`)
      }
    }
    const acceptedUses = stub.acceptedIds('syncUsedBenefit')
    const platformInstances = new Map<string, string>()
    const knownUseIds = new Set(redemptionRows.map((r) => r.use_request_id as string))
    for (const id of acceptedUses) {
      const body = JSON.parse(stub.bodies(id, 'syncUsedBenefit')[0]!) as { benefitInstanceId: string }
      const other = platformInstances.get(body.benefitInstanceId)
      if (other) violate(`the platform was told twice that ${body.benefitInstanceId} was used (${other}, ${id})`)
      platformInstances.set(body.benefitInstanceId, id)
      if (!knownUseIds.has(id)) violate(`the platform got syncUsedBenefit ${id}, which no redemption in the database enqueued`)
    }
    // A soak where nothing succeeded proves nothing.
    if (!issues.some((r) => r.successBody !== undefined)) violate('no issueBenefit was acknowledged: the load made no progress')
    if (!acknowledged.some((r) => !r.probe)) violate('no redemption was acknowledged: the load made no progress')
    if (!issues.some((r) => r.state === 'reversed')) violate('no reversal was acknowledged: the load made no progress')
    const differing = stub.idsWithDifferingBodies()
    if (differing.length) violate(`ids whose bodies differed between attempts: ${differing.slice(0, 5).join(', ')}`)
    const outbox = one("select count(*) as rows, sum(state = 'delivered') as delivered from outbox")

    const instanceTotals = one("select sum(state in ('ACTIVATED', 'USED')) as live, sum(state = 'USED') as used, sum(state = 'REVERSED') as reversed from instances")
    await verify.close()
    return {
      kills,
      killsDuringStartup,
      killsSkipped,
      starts,
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
      issues: {
        sent: counts.issueSent,
        retries: counts.issueRetries,
        acknowledged: issues.filter((r) => r.successBody !== undefined).length,
        refused: issues.filter((r) => r.state === 'refused').length,
        reversedBeforeKnown: counts.reversedBeforeKnown,
        unresolved: unresolvedIssues,
      },
      reverses: { sent: counts.reverseSent, acknowledged: issues.filter((r) => r.state === 'reversed').length, tombstones: counts.tombstones, unresolved: issues.filter((r) => r.reversing).length },
      redemptions: {
        sent: counts.redeemSent,
        retries: counts.redeemRetries,
        acknowledged: acknowledged.filter((r) => !r.probe).length,
        replaysChecked: counts.replaysChecked,
        doubleSpendProbes: counts.probes,
        unresolved: redeems.filter((r) => r.state === 'unknown').length,
      },
      instances: { live: Number(instanceTotals.live ?? 0), used: Number(instanceTotals.used ?? 0), reversed: Number(instanceTotals.reversed ?? 0) },
      stock: { start: START_STOCK, issued: template.issued_quantity, left: template.total_quantity - template.issued_quantity },
      platform: { syncUsedBenefitAccepted: acceptedUses.length, calls: stub.callCount(), faultsInjected: faults.reduce((s, f) => s + f.hits, 0) },
      outbox: { rows: Number(outbox.rows), delivered: Number(outbox.delivered ?? 0), notDelivered: Number(outbox.rows) - Number(outbox.delivered ?? 0) },
      transportErrors,
      violations,
    }
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r))
      child.kill('SIGKILL')
      await exited
    }
    await stub?.close()
    await new Promise((r) => log.end(r))
    if (!violations.length) rmSync(work, { recursive: true, force: true })
    else say(`soak: database, bundle and connector log kept in ${work}`)
  }
}

export function formatReport(r: SoakReport): string {
  return [
    `soak: ${r.kills} SIGKILLs (${r.killsDuringStartup} during start-up${r.killsSkipped ? `, ${r.killsSkipped} skipped by the time limit` : ''}), ${r.starts} starts, ${r.seconds} s`,
    `  issueBenefit        ${r.issues.sent} sent, ${r.issues.retries} retries; ${r.issues.acknowledged} acknowledged, ${r.issues.refused} refused, ${r.issues.reversedBeforeKnown} reversed while unknown; ${r.issues.unresolved} unresolved`,
    `  reverseBenefitIssue ${r.reverses.sent} sent; ${r.reverses.acknowledged} acknowledged (${r.reverses.tombstones} tombstones); ${r.reverses.unresolved} unresolved`,
    `  redemptions         ${r.redemptions.sent} sent, ${r.redemptions.retries} retries; ${r.redemptions.acknowledged} acknowledged; ${r.redemptions.replaysChecked} replays identical; ${r.redemptions.doubleSpendProbes} double-spend probes; ${r.redemptions.unresolved} unresolved`,
    `  instances           ${r.instances.live} live (${r.instances.used} used), ${r.instances.reversed} reversed; stock ${r.stock.left} left = ${r.stock.start} − ${r.stock.issued}`,
    `  platform            ${r.platform.syncUsedBenefitAccepted} syncUsedBenefit accepted, ${r.platform.calls} calls, ${r.platform.faultsInjected} faults injected`,
    `  outbox              ${r.outbox.rows} rows, ${r.outbox.delivered} delivered, ${r.outbox.notDelivered} not delivered`,
    `  transport errors    ${r.transportErrors} (calls cut by the kills)`,
    r.violations.length ? `VIOLATIONS (${r.violations.length}):\n${r.violations.map((v) => `  - ${v}`).join('\n')}` : 'violations: none — nothing lost, nothing duplicated, nothing half written',
  ].join('\n')
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      kills: { type: 'string', default: '200' },
      workers: { type: 'string', default: '8' },
      seed: { type: 'string' },
      'min-up-ms': { type: 'string', default: '150' },
      'max-up-ms': { type: 'string', default: '1200' },
      json: { type: 'boolean', default: false },
      tsx: { type: 'boolean', default: false },
    },
  })
  const report = await runSoak({
    kills: Number(args.kills),
    workers: Number(args.workers),
    minUpMs: Number(args['min-up-ms']),
    maxUpMs: Number(args['max-up-ms']),
    tsx: args.tsx,
    ...(args.seed !== undefined ? { seed: Number(args.seed) } : {}),
    onProgress: (line) => process.stderr.write(`${line}\n`),
  })
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`)
  if (report.violations.length) process.exitCode = 1
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
    process.exitCode = 1
  })
}
