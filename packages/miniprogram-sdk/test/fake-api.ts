/**
 * A fake of the connector's redemption API (docs/redemption-api.md), written from the contract
 * alone so it can catch the SDK drifting from it. One `handle()` serves every front door: a real
 * node:http server for the fetch transport and fakes of `my.request` / `wx.request`.
 *
 * It verifies API-key signatures exactly as the contract says (recomputed with node:crypto),
 * refuses replayed nonces and stale timestamps, keeps idempotent answers, and can be scripted to
 * fail: `enqueue()` answers the next requests with an error, a dropped connection or silence.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TransportError, type Transport } from '../src/transport.js'

export interface FakeRequest {
  method: string
  /** Path plus query, as in the request line. */
  path: string
  /** Lower-case names. */
  headers: Record<string, string>
  body: string
}

export interface FakeResponse {
  status: number
  /** Canonical case on purpose (`X-Request-Id`): transports must lower-case them. */
  headers: Record<string, string>
  body: string
}

/**
 * - an error answer, sent before any processing;
 * - `drop`: the connection dies before processing (nothing happened);
 * - `drop-after`: the request is processed, then the answer is lost;
 * - `hang`: no answer at all (the client must time out);
 * - `stall-body`: status and headers are sent, the body never finishes (HTTP front only; elsewhere `hang`).
 */
export type Scripted =
  | { status: number; code?: string; message?: string; headers?: Record<string, string>; body?: string }
  | 'drop'
  | 'drop-after'
  | 'hang'
  | 'stall-body'

export type Outcome = FakeResponse | 'drop' | 'hang' | 'stall-body'

export interface SeenRequest extends FakeRequest {
  /** How the request authenticated, or why it failed. */
  auth: { ok: true; kind: 'apiKey'; keyId: string; nonce: string } | { ok: true; kind: 'token'; token: string } | { ok: false; reason: string }
  at: number
}

interface Benefit {
  benefitInstanceId: string
  benefitTemplateId: string
  userId: string
  status: 'ACTIVATED' | 'USED'
  pin?: string
}

const HMAC_HEADER = /^BK-HMAC-SHA256 key=([A-Za-z0-9]+),ts=(\d+),nonce=([A-Za-z0-9_-]{16,64}),sig=([A-Za-z0-9_-]+)$/
const FIVE_MINUTES = 5 * 60 * 1000

/** Creates an API-key secret the way the connector prints it: `bk_<keyId>_<43 chars base64url>`. */
export function makeApiKey(keyId = 'k1'): string {
  return `bk_${keyId}_${randomBytes(32).toString('base64url')}`
}

export class FakeRedemptionApi {
  readonly seen: SeenRequest[] = []
  readonly redemptions: { redemptionId: string; benefitInstanceId: string; idempotencyKey: string }[] = []
  /** Clock of the fake server; tests move it to check the ±5 minute rule. */
  now: () => number = Date.now
  #script: Scripted[] = []
  /** keyId → hex SHA-256 of the secret: all the connector stores. */
  #keys = new Map<string, string>()
  #nonces = new Set<string>()
  /** token → userId */
  #tokens = new Map<string, string>()
  #benefits = new Map<string, Benefit>()
  #idempotency = new Map<string, { body: string; response: FakeResponse }>()
  #requestCount = 0

  constructor() {
    this.addBenefit('CODE-1', { userId: '2088000000000001' })
    this.addBenefit('CODE-PIN', { userId: '2088000000000001', pin: '1234' })
    this.addBenefit('CODE-OTHER-USER', { userId: '2088000000000002' })
  }

  addApiKey(secret: string): void {
    const keyId = /^bk_([A-Za-z0-9]+)_/.exec(secret)?.[1]
    if (!keyId) throw new Error('bad secret')
    this.#keys.set(keyId, createHash('sha256').update(secret, 'utf8').digest('hex'))
  }

  addToken(token: string, userId: string): void {
    this.#tokens.set(token, userId)
  }

  addBenefit(code: string, { userId, pin }: { userId: string; pin?: string }): void {
    const n = this.#benefits.size + 1
    this.#benefits.set(code, {
      benefitInstanceId: `bi_${n}`,
      benefitTemplateId: 'bt_1',
      userId,
      status: 'ACTIVATED',
      ...(pin ? { pin } : {}),
    })
  }

  /** Answers the next requests, one entry each, before normal processing. */
  enqueue(...entries: Scripted[]): void {
    this.#script.push(...entries)
  }

  /** Idempotency-Key headers of the redemption requests, in order. */
  get idempotencyKeys(): (string | undefined)[] {
    return this.seen.filter((r) => r.path.endsWith('/v1/redemptions')).map((r) => r.headers['idempotency-key'])
  }

  handle(req: FakeRequest): Outcome {
    const requestId = `req_${++this.#requestCount}`
    const auth = this.#authenticate(req)
    this.seen.push({ ...req, auth, at: Date.now() })

    const scripted = this.#script.shift()
    if (scripted === 'drop' || scripted === 'hang' || scripted === 'stall-body') return scripted
    if (scripted && scripted !== 'drop-after') {
      const body =
        scripted.body ??
        JSON.stringify({ error: { code: scripted.code ?? 'INTERNAL', message: scripted.message ?? 'scripted', requestId } })
      return { status: scripted.status, headers: { 'X-Request-Id': requestId, ...scripted.headers }, body }
    }
    const response = this.#process(req, auth, requestId)
    return scripted === 'drop-after' ? 'drop' : response
  }

  #authenticate(req: FakeRequest): SeenRequest['auth'] {
    const header = req.headers['authorization'] ?? ''
    if (header.startsWith('Bearer ')) {
      const token = header.slice(7)
      return this.#tokens.has(token) ? { ok: true, kind: 'token', token } : { ok: false, reason: 'token expired or unknown' }
    }
    const m = HMAC_HEADER.exec(header)
    if (!m) return { ok: false, reason: 'missing or malformed Authorization' }
    const [, keyId, ts, nonce, sig] = m as unknown as [string, string, string, string, string]
    const hashHex = this.#keys.get(keyId)
    if (!hashHex) return { ok: false, reason: 'unknown key' }
    if (Math.abs(this.now() - Number(ts)) > FIVE_MINUTES) return { ok: false, reason: 'ts outside the 5 minute window' }
    if (this.#nonces.has(`${keyId}:${nonce}`)) return { ok: false, reason: 'nonce already seen' }
    const data = `${req.method}\n${req.path}\n${ts}\n${nonce}\n${req.body}`
    const expected = createHmac('sha256', Buffer.from(hashHex, 'hex')).update(data, 'utf8').digest()
    const given = Buffer.from(sig, 'base64url')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' }
    this.#nonces.add(`${keyId}:${nonce}`)
    return { ok: true, kind: 'apiKey', keyId, nonce }
  }

  #process(req: FakeRequest, auth: SeenRequest['auth'], requestId: string): FakeResponse {
    const error = (status: number, code: string, message: string): FakeResponse => ({
      status,
      headers: { 'X-Request-Id': requestId, ...(status === 429 ? { 'Retry-After': '1' } : {}) },
      body: JSON.stringify({ error: { code, message, requestId } }),
    })
    const ok = (body: unknown, extra: Record<string, string> = {}): FakeResponse => ({
      status: 200,
      headers: { 'X-Request-Id': requestId, 'Content-Type': 'application/json', ...extra },
      body: JSON.stringify(body),
    })

    if (!auth.ok) return error(401, 'UNAUTHENTICATED', auth.reason)
    if (req.method !== 'POST') return error(400, 'INVALID_REQUEST', 'method')
    let input: Record<string, unknown>
    try {
      input = JSON.parse(req.body) as Record<string, unknown>
    } catch {
      return error(400, 'INVALID_REQUEST', 'body is not JSON')
    }
    const tokenUser = auth.kind === 'token' ? this.#tokens.get(auth.token) : undefined
    const path = req.path.slice(Math.max(0, req.path.indexOf('/v1/'))) // drop a mount prefix such as /benefitkit

    if (path === '/v1/user-tokens') {
      if (auth.kind !== 'apiKey') return error(403, 'FORBIDDEN', 'API key required')
      const token = `bkt_${randomBytes(16).toString('base64url')}`
      this.addToken(token, String(input.userId))
      return ok({ token, userId: input.userId, expiresAt: new Date(Date.now() + 900_000).toISOString() })
    }

    if (path === '/v1/benefits/lookup') {
      const benefit = this.#benefits.get(String(input.benefitCode))
      if (!benefit) return error(404, 'BENEFIT_NOT_FOUND', 'no such benefit')
      return ok({
        instance: instanceView(benefit),
        redeemable: benefit.status === 'ACTIVATED',
        ...(benefit.status === 'USED' ? { reason: 'BENEFIT_ALREADY_USED' } : {}),
        pinRequired: benefit.pin !== undefined,
      })
    }

    if (path === '/v1/redemptions') {
      const key = req.headers['idempotency-key']
      if (!key || !/^[A-Za-z0-9_.:-]{8,255}$/.test(key)) return error(400, 'INVALID_REQUEST', 'Idempotency-Key')
      const scope = auth.kind === 'apiKey' ? auth.keyId : 'tokens'
      const stored = this.#idempotency.get(`${scope}:${key}`)
      if (stored) {
        if (stored.body !== req.body) return error(422, 'IDEMPOTENCY_KEY_REUSED', 'different body for this key')
        return { ...stored.response, headers: { ...stored.response.headers, 'Idempotent-Replayed': 'true' } }
      }
      const answer = this.#redeem(input, tokenUser, key, error, ok)
      this.#idempotency.set(`${scope}:${key}`, { body: req.body, response: answer })
      return answer
    }
    return error(404, 'BENEFIT_NOT_FOUND', 'no route')
  }

  #redeem(
    input: Record<string, unknown>,
    tokenUser: string | undefined,
    key: string,
    error: (status: number, code: string, message: string) => FakeResponse,
    ok: (body: unknown) => FakeResponse,
  ): FakeResponse {
    if ((input.benefitCode === undefined) === (input.benefitInstanceId === undefined)) {
      return error(400, 'INVALID_REQUEST', 'benefitCode: give exactly one of benefitCode or benefitInstanceId')
    }
    const benefit =
      input.benefitCode !== undefined
        ? this.#benefits.get(String(input.benefitCode))
        : [...this.#benefits.values()].find((b) => b.benefitInstanceId === input.benefitInstanceId)
    if (!benefit) return error(404, 'BENEFIT_NOT_FOUND', 'no such benefit')
    if (tokenUser !== undefined && benefit.userId !== tokenUser) return error(403, 'FORBIDDEN', 'not your benefit')
    if (input.userId !== undefined && input.userId !== benefit.userId) return error(422, 'USER_MISMATCH', 'userId')
    if (benefit.status === 'USED') return error(409, 'BENEFIT_ALREADY_USED', 'already used')
    if (benefit.pin !== undefined && input.benefitPin !== benefit.pin) return error(422, 'PIN_MISMATCH', 'benefitPin')
    benefit.status = 'USED'
    const redemption = {
      redemptionId: `rd_${this.redemptions.length + 1}`,
      benefitInstanceId: benefit.benefitInstanceId,
      benefitTemplateId: benefit.benefitTemplateId,
      userId: benefit.userId,
      useScene: (input.useScene as string | undefined) ?? 'MINI_PROGRAM',
      ...(input.orderId !== undefined ? { orderId: input.orderId } : {}),
      redeemedAt: new Date().toISOString(),
    }
    this.redemptions.push({ redemptionId: redemption.redemptionId, benefitInstanceId: benefit.benefitInstanceId, idempotencyKey: key })
    return ok({ redemption, instance: instanceView(benefit) })
  }
}

function instanceView(b: Benefit) {
  return {
    benefitInstanceId: b.benefitInstanceId,
    benefitTemplateId: b.benefitTemplateId,
    userId: b.userId,
    status: b.status,
    activateTime: '2026-01-01T00:00:00.000Z',
    expireTime: '2027-01-01T00:00:00.000Z',
    amount: { currency: 'HKD', value: '1000' },
    title: 'HK$10 off',
  }
}

export interface RunningServer {
  url: string
  server: Server
  /** Every raw request as received: request line, headers and body, for leak checks. */
  raw: string[]
  close(): void
}

/** Serves the API `getApi()` returns (a fresh one per test, say) over real HTTP on 127.0.0.1. */
export async function startHttpServer(getApi: () => FakeRedemptionApi): Promise<RunningServer> {
  const raw: string[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      raw.push(`${req.method} ${req.url}\n${req.rawHeaders.join('\n')}\n\n${body}`)
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v
      const outcome = getApi().handle({ method: req.method ?? '', path: req.url ?? '', headers, body })
      if (outcome === 'drop') return req.socket.destroy()
      if (outcome === 'hang') return
      if (outcome === 'stall-body') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' })
        res.write('{"redemption":')
        return
      }
      res.writeHead(outcome.status, outcome.headers).end(outcome.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    raw,
    close() {
      server.closeAllConnections()
      server.close()
    },
  }
}

/** A transport that calls `api.handle` in memory: for tests about the client, not the wire. */
export function memoryTransport(api: FakeRedemptionApi): Transport {
  return async (req) => {
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v
    const outcome = api.handle({ method: req.method, path: req.url.replace(/^https?:\/\/[^/]+/, ''), headers, body: req.body })
    if (outcome === 'drop') throw new TransportError('network', 'connection reset')
    if (outcome === 'hang' || outcome === 'stall-body') {
      await new Promise((resolve) => setTimeout(resolve, req.timeoutMs))
      throw new TransportError('timeout', 'timed out')
    }
    const lower: Record<string, string> = {}
    for (const [k, v] of Object.entries(outcome.headers)) lower[k.toLowerCase()] = v
    return { status: outcome.status, headers: lower, body: outcome.body }
  }
}
