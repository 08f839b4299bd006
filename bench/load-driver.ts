/**
 * The load generator of `pnpm bench`, in its own process so that generating
 * load never takes CPU from the process under test (on 2 cores: one for the
 * server, one for this). It runs autocannon's programmatic API; requests that
 * must differ every time are made in `setupRequest`:
 *
 *   - issueBenefit: RSA signing costs as much as the server's own work, so the
 *     requests are signed *before* the clock starts (`prepare-issue`: a pool
 *     with distinct benefitIssueRequestIds, all well inside the 5-minute
 *     freshness window) and only handed out during the run. Every answer's
 *     signature is verified (≈ 25 µs of CPU, cheap next to signing).
 *   - redemptions and lookups with an API key: HMAC with a fresh nonce (and a
 *     fresh Idempotency-Key) per request, a few µs, made during the run.
 *
 * Every answer is checked (status and, for the platform API, signature and
 * resultCode); only correct answers count toward the rate. Latency is taken
 * per response in float milliseconds (autocannon's own histogram has 1 ms
 * buckets and is reported too).
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { createRequire } from 'node:module'
import { loadPrivateKey, loadPublicKey, PublicKeyring, signRequest, verifyResponse } from '@benefitkit/shared/signing'
import { hmacAuthorization } from './support/hmac.js'
import { rpcProgress, serveRpc } from './support/rpc.js'

const require = createRequire(import.meta.url)
// autocannon ships no types; the part used here is typed below.
const autocannon = require('autocannon') as (options: Record<string, unknown>) => AutocannonInstance

interface AutocannonInstance {
  on(event: 'tick', listener: (counter: { counter: number; bytes: number }) => void): void
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void): void
  on(event: 'done', listener: (result: AutocannonResult) => void): void
  stop(): void
}

interface AutocannonResult {
  requests: { total: number; average: number }
  latency: { p50: number; p99: number; max: number }
  errors: number
  timeouts: number
  non2xx: number
  start: Date
  finish: Date
}

interface BuiltRequest {
  method: string
  path: string
  headers: Record<string, string>
  body: string
}

/** What each request of a run is. */
export type RequestSpec =
  | { kind: 'static'; method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string }
  | { kind: 'issue'; pool: string; clientId: string; isvPublicKey: string }
  | { kind: 'redeem'; secret: string; codesFile: string }
  | { kind: 'lookup'; auth: { token: string } | { secret: string }; codesFile: string; distinct?: number }

export interface LoadJob {
  label: string
  url: string
  connections: number
  /** Stop after this many requests … */
  amount?: number
  /** … or after this many seconds … */
  seconds?: number
  /** … and never later than this (a safety bound for `amount` runs). */
  capSeconds: number
  /** Requests per second over all connections (fixed-rate runs). */
  overallRate?: number
  request: RequestSpec
}

export interface LoadResult {
  label: string
  /** Responses received. */
  responses: number
  /** Responses that were what the request asked for (status, signature, resultCode). */
  ok: number
  bad: number
  /** The first wrong answer, for the report. */
  badSample?: string
  errors: number
  timeouts: number
  seconds: number
  /** Correct answers per second. */
  rate: number
  latencyMs: { p50: number; p90: number; p99: number; max: number; samples: number }
  /** Share of one core this load generator used (near 1: the client, not the server, set the pace). */
  driverCoreShare: number
  /** autocannon's own percentiles (1 ms resolution); NaN for paced runs. */
  autocannonLatencyMs: { p50: number; p99: number; max: number }
}

const pools = new Map<string, { requests: BuiltRequest[]; next: number }>()

/** p50 / p90 / p99 / max of a run's latencies (ms). */
function latencySummary(latencies: readonly number[]): LoadResult['latencyMs'] {
  const sorted = Float64Array.from(latencies).sort()
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    samples: sorted.length,
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

function readCodes(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean)
}

/** Builds the per-request factory and the answer check for a spec. */
function requestFactory(spec: RequestSpec): { next: () => BuiltRequest | undefined; check: (status: number, body: string, headers: Record<string, string>) => boolean } {
  switch (spec.kind) {
    case 'static': {
      const request: BuiltRequest = { method: spec.method, path: spec.path, headers: spec.headers ?? {}, body: spec.body ?? '' }
      return { next: () => request, check: (status) => status === 200 }
    }
    case 'issue': {
      const pool = pools.get(spec.pool)
      if (!pool) throw new Error(`no request pool ${spec.pool}: call prepare-issue first`)
      const keyring = new PublicKeyring([['1', loadPublicKey(spec.isvPublicKey)]])
      const path = pool.requests[0]!.path
      return {
        next: () => pool.requests[pool.next++],
        check: (status, body, headers) =>
          status === 200 &&
          body.includes('"resultCode":"SUCCESS"') &&
          verifyResponse({ method: 'POST', path, clientId: spec.clientId, headers, body, keyring }),
      }
    }
    case 'redeem': {
      const codes = readCodes(spec.codesFile)
      let next = 0
      const path = '/v1/redemptions'
      return {
        next: () => {
          const code = codes[next++]
          if (code === undefined) return undefined
          const body = JSON.stringify({ benefitCode: code, orderId: `order-${next}` })
          return {
            method: 'POST',
            path,
            headers: {
              'content-type': 'application/json',
              authorization: hmacAuthorization(spec.secret, path, body),
              'idempotency-key': `bench-${process.pid}-${next}-${randomBytes(6).toString('hex')}`,
            },
            body,
          }
        },
        check: (status, body) => status === 200 && body.includes('"status":"USED"'),
      }
    }
    case 'lookup': {
      const codes = readCodes(spec.codesFile).slice(0, spec.distinct ?? 1000)
      let next = 0
      const path = '/v1/benefits/lookup'
      const bodies = codes.map((code) => JSON.stringify({ benefitCode: code }))
      const auth = spec.auth
      return {
        next: () => {
          const body = bodies[next++ % bodies.length]!
          return {
            method: 'POST',
            path,
            headers: {
              'content-type': 'application/json',
              authorization: 'token' in auth ? `Bearer ${auth.token}` : hmacAuthorization(auth.secret, path, body),
            },
            body,
          }
        },
        check: (status, body) => status === 200 && body.includes('"redeemable":true'),
      }
    }
  }
}

function run(job: LoadJob): Promise<LoadResult> {
  const { next, check } = requestFactory(job.request)
  let ok = 0
  let bad = 0
  let badSample: string | undefined
  const latencies: number[] = []
  const first = next()
  if (!first) throw new Error(`${job.label}: no requests to send`)
  const cpu = process.cpuUsage()
  let pending: BuiltRequest | undefined = first
  // autocannon reports a run as done only at its next one-second tick, so its
  // start–finish span can hold up to a second of idling after the last answer
  // (a third of a quick `amount` run): the run's time is taken up to the last answer instead.
  const startedAt = performance.now()
  let lastAnswerAt = startedAt
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: job.url,
      connections: job.connections,
      ...(job.amount !== undefined ? { amount: job.amount } : { duration: job.seconds }),
      ...(job.overallRate !== undefined ? { overallRate: job.overallRate } : {}),
      timeout: 10,
      // The report is built here.
      renderProgressBar: false,
      renderResultsTable: false,
      renderLatencyTable: false,
      requests: [
        {
          method: first.method,
          path: first.path,
          headers: first.headers,
          body: first.body,
          setupRequest: (request: Record<string, unknown>) => {
            const built = pending ?? next()
            pending = undefined
            if (!built) return undefined
            request.method = built.method
            request.path = built.path
            request.headers = built.headers
            request.body = built.body
            return request
          },
          onResponse: (status: number, body: string, _context: unknown, headers: Record<string, string>) => {
            if (check(status, body, headers)) ok++
            else {
              bad++
              badSample ??= `HTTP ${status} ${body.slice(0, 300)}`
            }
          },
        },
      ],
    })
    const cap = setTimeout(() => instance.stop(), job.capSeconds * 1000)
    let ticks = 0
    let seen = 0
    instance.on('tick', ({ counter }) => {
      seen += counter
      if (++ticks % 2 === 0) rpcProgress(`    ${job.label}: ${seen} answers, ${counter}/s now`)
    })
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime)
      lastAnswerAt = performance.now()
    })
    instance.on('done', (result) => {
      clearTimeout(cap)
      const seconds = Math.min((result.finish.getTime() - result.start.getTime()) / 1000, (lastAnswerAt - startedAt) / 1000)
      const used = process.cpuUsage(cpu)
      resolve({
        driverCoreShare: Number(((used.user + used.system) / 1e6 / seconds).toFixed(3)),
        label: job.label,
        responses: ok + bad,
        ok,
        bad,
        ...(badSample ? { badSample } : {}),
        errors: result.errors,
        timeouts: result.timeouts,
        seconds,
        rate: ok / seconds,
        latencyMs: latencySummary(latencies),
        autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      })
    })
    ;(instance as unknown as { on(event: 'error', listener: (error: Error) => void): void }).on('error', reject)
  })
}

/**
 * A steady rate, open loop: request i is due at start + i / rate and is sent
 * then whether or not earlier ones were answered (keep-alive sockets, as many
 * as needed up to `maxSockets`). Latency counts from the due time, so a stall
 * shows in full (no coordinated omission).
 *
 * autocannon's own rate limit is not used for this: it gives each connection
 * a budget per second and releases it at every second boundary, so "300/s"
 * arrives as a burst of 300 at the top of each second.
 */
export interface PacedJob {
  label: string
  url: string
  rate: number
  count: number
  maxSockets: number
  capSeconds: number
  request: RequestSpec
}

async function paced(job: PacedJob): Promise<LoadResult> {
  const { next, check } = requestFactory(job.request)
  const target = new URL(job.url)
  const agent = new Agent({ keepAlive: true, maxSockets: job.maxSockets })
  const latencies: number[] = []
  let ok = 0
  let bad = 0
  let errors = 0
  let badSample: string | undefined
  let sent = 0
  let done = 0
  const cpu = process.cpuUsage()
  const started = performance.now()
  const deadline = started + job.capSeconds * 1000
  let lastReport = started
  await new Promise<void>((resolve) => {
    const finish = () => {
      if (done === sent && (sent === job.count || performance.now() > deadline)) resolve()
    }
    const send = (due: number) => {
      const built = next()
      if (!built) {
        done++
        errors++
        return
      }
      const req = httpRequest(
        { host: target.hostname, port: target.port, method: built.method, path: built.path, agent, headers: { ...built.headers, 'content-length': Buffer.byteLength(built.body) } },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            latencies.push(performance.now() - due)
            const body = Buffer.concat(chunks).toString('utf8')
            const headers: Record<string, string> = {}
            for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v
            if (check(res.statusCode ?? 0, body, headers)) ok++
            else {
              bad++
              badSample ??= `HTTP ${res.statusCode} ${body.slice(0, 300)}`
            }
            done++
            finish()
          })
        },
      )
      req.on('error', () => {
        errors++
        done++
        finish()
      })
      req.end(built.body)
    }
    const tick = () => {
      const now = performance.now()
      while (sent < job.count && started + (sent * 1000) / job.rate <= now && now < deadline) send(started + (sent++ * 1000) / job.rate)
      if (now - lastReport >= 2000) {
        lastReport = now
        rpcProgress(`    ${job.label}: ${done} answers of ${job.count}`)
      }
      if (sent < job.count && now < deadline) setTimeout(tick, 1)
      else finish()
    }
    tick()
  })
  agent.destroy()
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  return {
    driverCoreShare: Number(((used.user + used.system) / 1e6 / seconds).toFixed(3)),
    label: job.label,
    responses: ok + bad,
    ok,
    bad,
    ...(badSample ? { badSample } : {}),
    errors,
    timeouts: 0,
    seconds,
    rate: ok / seconds,
    latencyMs: latencySummary(latencies),
    autocannonLatencyMs: { p50: NaN, p99: NaN, max: NaN },
  }
}

export interface PrepareIssueArgs {
  pool: string
  count: number
  path: string
  clientId: string
  platformPrivateKey: string
  templateId: string
  /** Distinct per pool so ids never repeat across runs. */
  idPrefix: string
}

serveRpc({
  /** Signs `count` issueBenefit requests now, each with its own benefitIssueRequestId and userId. */
  'prepare-issue'(args: PrepareIssueArgs) {
    const key = { keyVersion: '1', privateKey: loadPrivateKey(args.platformPrivateKey) }
    const started = performance.now()
    const requests: BuiltRequest[] = []
    for (let i = 0; i < args.count; i++) {
      const body = JSON.stringify({
        benefitIssueRequestId: `${args.idPrefix}-${i}`,
        userId: `u${args.idPrefix}${i}`.slice(0, 32),
        benefitTemplateId: args.templateId,
        quantity: 1,
      })
      const headers = signRequest({ path: args.path, clientId: args.clientId, body, key })
      requests.push({ method: 'POST', path: args.path, headers, body })
      if (i % 2000 === 1999) rpcProgress(`    signed ${i + 1} of ${args.count} requests`)
    }
    pools.set(args.pool, { requests, next: 0 })
    return { count: requests.length, seconds: (performance.now() - started) / 1000 }
  },
  run,
  paced,
})
