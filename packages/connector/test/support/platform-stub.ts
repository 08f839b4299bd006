import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { benefitApis, PLATFORM_API_NAMES, statusOfCode, type PlatformApiName, type SyncFailCode, type SyncStatus } from '@benefitkit/shared'
import { signResponse, verifyRequest, type PublicKeyring, type SigningKey } from '@benefitkit/shared/signing'
import { testKeys } from './keys.js'
import { TEST_CLIENT_ID } from './connector.js'

/**
 * A stand-in for the platform's three ISV→platform APIs, on 127.0.0.1 over real
 * HTTP: it verifies the connector's signatures with the ISV public key, answers
 * signed with the platform key, keeps idempotency like the platform (same id,
 * same body → the same final answer; another body → REPEAT_REQ_INCONSISTENT),
 * records every body per idempotency id, and injects faults on demand.
 *
 * ```ts
 * const stub = await startPlatformStub()
 * stub.outage(5)                                   // the next 5 calls get HTTP 503
 * stub.inject({ kind: 'result', code: 'BIZ_ERROR_NO_RETRY' }, { id: 'use-7' })
 * // … point the connector at stub.url …
 * await stub.waitFor(() => stub.acceptedCount('syncUsedBenefit') === 100)
 * assert.equal(stub.idsWithDifferingBodies(), [])
 * await stub.close()
 * ```
 *
 * For another process (benchmarks, the soak) run `platform-stub-main.ts`;
 * `GET /__stub/stats` reports the counters, `POST /__stub/faults` adds a rule.
 */

/** What a fault does to one call. */
export type StubFault =
  /** Answers this HTTP status (unsigned), like a gateway in trouble. */
  | { kind: 'http'; status: number; body?: string }
  /** Waits before answering normally (or with `then`): provokes client timeouts. */
  | { kind: 'delay'; ms: number; then?: StubFault }
  /** A signed answer with this result code (U or F): resultStatus from the code table. */
  | { kind: 'result'; code: string; message?: string }
  /** A normal answer whose Signature does not verify. */
  | { kind: 'bad-signature' }
  /** A normal answer without Signature / Response-Time. */
  | { kind: 'unsigned' }
  /** Closes the connection without an answer. */
  | { kind: 'drop' }

export interface FaultRule {
  fault: StubFault
  /** How many matching calls it hits (default: every one). */
  times?: number
  /** Only calls to this API. */
  api?: PlatformApiName
  /** Only calls with this idempotency id (benefitSyncRequestId / benefitUseRequestId). */
  id?: string
  /** Chance that a matching call is hit (default 1). */
  probability?: number
  /**
   * The platform processes the call first and only the answer is lost or
   * spoiled (the harder case for the caller: it must retry and get the same
   * answer). Default: the fault hits before processing.
   */
  afterProcessing?: boolean
}

export interface FaultHandle {
  /** Calls this rule has hit so far. */
  readonly hits: number
  remove(): void
}

export interface StubCall {
  seq: number
  api: PlatformApiName | undefined
  path: string
  /** The idempotency id (or the inquired benefitSyncRequestId). */
  id: string | undefined
  /** The exact body received. */
  body: string
  signatureValid: boolean
  /** performance.now() when the request's body was complete. */
  at: number
  /** What was sent back: a result code, or the fault's kind. */
  answer: string
}

export interface ReviewOutcome {
  syncStatus: SyncStatus
  syncFailCode?: SyncFailCode
  syncFailReason?: string
}

export interface PlatformStubOptions {
  /** The Client-Id the connector uses. Default TEST_CLIENT_ID. */
  clientId?: string
  /** Verifies the connector's requests. Default: testKeys().isvKeyring. */
  isvKeyring?: PublicKeyring
  /** Signs the answers. Default: testKeys().platformSigning. */
  signing?: SigningKey
  /** Default 0 (a free port). */
  port?: number
  /** Validate request bodies against the protocol schemas (PARAM_ILLEGAL when invalid). Default true. */
  validate?: boolean
  /** What inquireBenefitSync reports for an accepted sync without its own review. Default PROCESSING. */
  defaultReview?: ReviewOutcome
}

interface Accepted {
  api: PlatformApiName
  body: string
  /** The final answer body fields, replayed on repeats. */
  code: string
  at: number
}

const SYNC_APIS = new Set<PlatformApiName>(['syncBenefit', 'syncUsedBenefit'])

export class PlatformStub {
  readonly url: string
  readonly calls: StubCall[] = []
  readonly #server: Server
  readonly #clientId: string
  readonly #isvKeyring: PublicKeyring
  readonly #signing: SigningKey
  readonly #validate: boolean
  readonly #apiByPath: Map<string, PlatformApiName>
  readonly #rules: Array<FaultRule & { hits: number }> = []
  /** Every body received per `${api} ${id}`, in order. */
  readonly #bodies = new Map<string, string[]>()
  readonly #accepted = new Map<string, Accepted>()
  readonly #reviews = new Map<string, ReviewOutcome>()
  readonly #listeners = new Set<(call: StubCall) => void>()
  #defaultReview: ReviewOutcome
  #seq = 0
  #connections = 0

  constructor(server: Server, url: string, options: PlatformStubOptions) {
    const keys = options.isvKeyring && options.signing ? undefined : testKeys()
    this.#server = server
    this.url = url
    this.#clientId = options.clientId ?? TEST_CLIENT_ID
    this.#isvKeyring = options.isvKeyring ?? keys!.isvKeyring
    this.#signing = options.signing ?? keys!.platformSigning
    this.#validate = options.validate ?? true
    this.#defaultReview = options.defaultReview ?? { syncStatus: 'PROCESSING' }
    this.#apiByPath = new Map(PLATFORM_API_NAMES.map((name) => [benefitApis[name].path, name]))
    server.on('connection', () => this.#connections++)
  }

  /** TCP connections accepted so far (keep-alive reuse shows as few). */
  get connections(): number {
    return this.#connections
  }

  /* ------------------------------------------------------------ faults */

  /** Adds a fault rule; rules are tried in the order added, the first that matches applies. */
  inject(fault: StubFault, rule: Omit<FaultRule, 'fault'> = {}): FaultHandle {
    const entry = { ...rule, fault, hits: 0 }
    this.#rules.push(entry)
    const rules = this.#rules
    return {
      get hits() {
        return entry.hits
      },
      remove() {
        const i = rules.indexOf(entry)
        if (i >= 0) rules.splice(i, 1)
      },
    }
  }

  /** The platform is down for the next `calls` calls (HTTP 503 by default). */
  outage(calls: number, fault: StubFault = { kind: 'http', status: 503 }): FaultHandle {
    return this.inject(fault, { times: calls })
  }

  clearFaults(): void {
    this.#rules.length = 0
  }

  /* ------------------------------------------------------------ reviews */

  /** What inquireBenefitSync answers for this sync from now on. */
  setReview(benefitSyncRequestId: string, outcome: ReviewOutcome): void {
    this.#reviews.set(benefitSyncRequestId, outcome)
  }

  setDefaultReview(outcome: ReviewOutcome): void {
    this.#defaultReview = outcome
  }

  /* ------------------------------------------------------------ records */

  /** Every body received for this idempotency id, in order (all APIs unless given). */
  bodies(id: string, api?: PlatformApiName): string[] {
    if (api) return this.#bodies.get(`${api} ${id}`) ?? []
    return PLATFORM_API_NAMES.flatMap((name) => this.#bodies.get(`${name} ${id}`) ?? [])
  }

  /** Ids for which some body differed from the first one received. Should always be empty. */
  idsWithDifferingBodies(): string[] {
    const out: string[] = []
    for (const [key, bodies] of this.#bodies) if (bodies.some((b) => b !== bodies[0])) out.push(key.slice(key.indexOf(' ') + 1))
    return out
  }

  /** Whether the platform has accepted (answered S for) this id. */
  isAccepted(id: string, api?: PlatformApiName): boolean {
    if (api) return this.#accepted.has(`${api} ${id}`)
    return PLATFORM_API_NAMES.some((name) => this.#accepted.has(`${name} ${id}`))
  }

  /** Ids accepted (S) so far, per API or all. */
  acceptedIds(api?: PlatformApiName): string[] {
    const out: string[] = []
    for (const [key, a] of this.#accepted) if (a.code === 'SUCCESS' && (!api || a.api === api)) out.push(key.slice(key.indexOf(' ') + 1))
    return out
  }

  acceptedCount(api?: PlatformApiName): number {
    let n = 0
    for (const a of this.#accepted.values()) if (a.code === 'SUCCESS' && (!api || a.api === api)) n++
    return n
  }

  /** Calls received, per API or all. */
  callCount(api?: PlatformApiName): number {
    return api ? this.calls.filter((c) => c.api === api).length : this.calls.length
  }

  /** Called at each call's arrival (before faults and processing), e.g. for latency measurements. */
  onCall(listener: (call: StubCall) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Resolves when `predicate()` holds; rejects after `timeoutMs` with `message`. */
  async waitFor(predicate: () => boolean, { timeoutMs = 10_000, message = 'condition' }: { timeoutMs?: number; message?: string } = {}): Promise<void> {
    const deadline = performance.now() + timeoutMs
    while (!predicate()) {
      if (performance.now() > deadline) throw new Error(`platform stub: timed out after ${timeoutMs} ms waiting for ${message}`)
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  /** Forgets calls, bodies, acceptances, reviews and faults. */
  reset(): void {
    this.calls.length = 0
    this.#bodies.clear()
    this.#accepted.clear()
    this.#reviews.clear()
    this.#rules.length = 0
  }

  stats() {
    return {
      calls: this.calls.length,
      accepted: this.acceptedCount(),
      acceptedByApi: Object.fromEntries(PLATFORM_API_NAMES.map((a) => [a, this.acceptedCount(a)])),
      idsWithDifferingBodies: this.idsWithDifferingBodies(),
    }
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#server.closeAllConnections()
    await closed
  }

  /* ------------------------------------------------------------ serving */

  /** @internal */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const path = (req.url ?? '/').split('?')[0]!
      if (path.startsWith('/__stub/')) return this.#control(path, raw, res)
      const api = this.#apiByPath.get(path)
      const check = verifyRequest({
        method: req.method ?? 'POST',
        path: req.url ?? '/',
        headers: req.headers,
        body: raw,
        keyring: this.#isvKeyring,
        expectedClientId: this.#clientId,
      })
      let parsed: Record<string, unknown> | undefined
      try {
        const value: unknown = JSON.parse(raw)
        if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>
      } catch {
        parsed = undefined
      }
      const idField = api === 'inquireBenefitSync' ? 'benefitSyncRequestId' : api ? benefitApis[api].idempotencyField : undefined
      const id = idField && typeof parsed?.[idField] === 'string' ? (parsed[idField] as string) : undefined
      const call: StubCall = { seq: ++this.#seq, api, path, id, body: raw, signatureValid: check.ok, at: performance.now(), answer: '' }
      this.calls.push(call)
      if (api && id && check.ok && SYNC_APIS.has(api)) {
        const key = `${api} ${id}`
        const list = this.#bodies.get(key)
        if (list) list.push(raw)
        else this.#bodies.set(key, [raw])
      }
      for (const listener of this.#listeners) listener(call)

      const rule = this.#matchRule(api, id)
      if (rule && !rule.afterProcessing) {
        this.#applyFault(rule.fault, call, req, res, () => this.#process(api, id, parsed, raw, check))
        return
      }
      const answer = this.#process(api, id, parsed, raw, check)
      if (rule) this.#applyFault(rule.fault, call, req, res, () => answer)
      else this.#send(call, req, res, answer, 'signed')
    })
  }

  #matchRule(api: PlatformApiName | undefined, id: string | undefined): (FaultRule & { hits: number }) | undefined {
    for (const rule of this.#rules) {
      if (rule.times !== undefined && rule.hits >= rule.times) continue
      if (rule.api && rule.api !== api) continue
      if (rule.id && rule.id !== id) continue
      if (rule.probability !== undefined && Math.random() >= rule.probability) continue
      rule.hits++
      return rule
    }
    return undefined
  }

  /** The platform's business answer to a call (result fields + extras). */
  #process(
    api: PlatformApiName | undefined,
    id: string | undefined,
    parsed: Record<string, unknown> | undefined,
    raw: string,
    check: ReturnType<typeof verifyRequest>,
  ): Record<string, unknown> {
    if (!check.ok) return result(check.code, check.message)
    if (!api) return result('INVALID_API', 'unknown path')
    if (!parsed) return result('MEDIA_TYPE_NOT_ACCEPTABLE', 'body is not a JSON object')
    if (this.#validate) {
      const valid = benefitApis[api].request.safeParse(parsed)
      if (!valid.success) return result('PARAM_ILLEGAL', valid.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 256))
    }
    if (api === 'inquireBenefitSync') {
      if (!id || !this.#accepted.has(`syncBenefit ${id}`)) return result('SYNC_REQUEST_ID_NOT_EXIST', 'unknown benefitSyncRequestId')
      const review = this.#reviews.get(id) ?? this.#defaultReview
      return { ...result('SUCCESS', 'success'), ...review }
    }
    const key = `${api} ${id}`
    const first = this.#accepted.get(key)
    if (first) {
      if (first.body !== raw) return result('REPEAT_REQ_INCONSISTENT', 'idempotency id reused with a different body')
      return result(first.code, 'success')
    }
    this.#accepted.set(key, { api, body: raw, code: 'SUCCESS', at: performance.now() })
    return result('SUCCESS', 'success')
  }

  #applyFault(fault: StubFault, call: StubCall, req: IncomingMessage, res: ServerResponse, answer: () => Record<string, unknown>): void {
    switch (fault.kind) {
      case 'http':
        call.answer = `HTTP_${fault.status}`
        res.writeHead(fault.status, { 'Content-Type': 'text/plain' }).end(fault.body ?? 'platform unavailable')
        return
      case 'delay': {
        const timer = setTimeout(() => {
          if (res.destroyed) return
          if (fault.then) this.#applyFault(fault.then, call, req, res, answer)
          else this.#send(call, req, res, answer(), 'signed')
        }, fault.ms)
        res.on('close', () => clearTimeout(timer))
        call.answer = `DELAY_${fault.ms}`
        return
      }
      case 'result':
        this.#send(call, req, res, result(fault.code, fault.message ?? fault.code), 'signed')
        return
      case 'bad-signature':
        this.#send(call, req, res, answer(), 'bad-signature')
        return
      case 'unsigned':
        this.#send(call, req, res, answer(), 'unsigned')
        return
      case 'drop':
        call.answer = 'DROP'
        req.socket.destroy()
        return
    }
  }

  #send(call: StubCall, req: IncomingMessage, res: ServerResponse, answer: Record<string, unknown>, signing: 'signed' | 'bad-signature' | 'unsigned'): void {
    const body = JSON.stringify(answer)
    const code = (answer.result as { resultCode?: string } | undefined)?.resultCode ?? '?'
    call.answer = signing === 'signed' ? code : `${code}+${signing.toUpperCase()}`
    let headers: Record<string, string> = { 'Content-Type': 'application/json; charset=UTF-8' }
    if (signing !== 'unsigned') {
      headers = signResponse({ method: req.method ?? 'POST', path: req.url ?? '/', clientId: this.#clientId, body, key: this.#signing })
      if (signing === 'bad-signature') {
        // A well-formed signature over other content: it parses and fails to verify.
        const other = signResponse({ path: '/elsewhere', clientId: this.#clientId, body, key: this.#signing })
        headers.Signature = other.Signature
      }
    }
    res.writeHead(200, headers).end(body)
  }

  /**
   * Control for a stub in another process: `GET /__stub/stats`, `POST /__stub/reset`,
   * `POST /__stub/faults` with `{"fault": {…}, "times"?, "api"?, "id"?, "probability"?, "afterProcessing"?}`,
   * `POST /__stub/clear-faults`.
   */
  #control(path: string, raw: string, res: ServerResponse): void {
    if (path === '/__stub/stats') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(this.stats()))
    } else if (path === '/__stub/reset') {
      this.reset()
      res.writeHead(204).end()
    } else if (path === '/__stub/clear-faults') {
      this.clearFaults()
      res.writeHead(204).end()
    } else if (path === '/__stub/faults') {
      try {
        const { fault, ...rule } = JSON.parse(raw) as FaultRule
        this.inject(fault, rule)
        res.writeHead(204).end()
      } catch (error) {
        res.writeHead(400).end((error as Error).message)
      }
    } else res.writeHead(404).end()
  }
}

/** A platform-shaped answer; resultStatus follows the code table (unknown codes are U). */
function result(code: string, message: string): Record<string, unknown> {
  return { result: { resultStatus: statusOfCode(code), resultCode: code, resultMessage: message.slice(0, 256) } }
}

/** Starts a stub on 127.0.0.1 (a free port unless `port` is given). */
export async function startPlatformStub(options: PlatformStubOptions = {}): Promise<PlatformStub> {
  let stub: PlatformStub | undefined
  const server = createServer((req, res) => stub!.handle(req, res))
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  stub = new PlatformStub(server, `http://127.0.0.1:${port}`, options)
  return stub
}
