/**
 * The client over `fetchTransport` against a real HTTP server on 127.0.0.1 that fakes the
 * redemption API and checks every signature the way the connector must.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  ApiError,
  BenefitKitError,
  createRedemptionClient,
  isTransportError,
  TimeoutError,
  type RedemptionClientOptions,
} from '../src/index.js'
import { fetchTransport } from '../src/transports/fetch.js'
import { FakeRedemptionApi, makeApiKey, startHttpServer } from './fake-api.js'
import { rejection } from './helpers.js'

const apiKey = makeApiKey('k1')
let api = new FakeRedemptionApi()
const server = await startHttpServer(() => api)

function fresh(): FakeRedemptionApi {
  api = new FakeRedemptionApi()
  api.addApiKey(apiKey)
  return api
}

function client(options: Partial<RedemptionClientOptions> = {}) {
  return createRedemptionClient({
    baseUrl: server.url,
    auth: { apiKey },
    transport: fetchTransport(),
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...options,
  })
}

test('redeem signs with HMAC the server can verify and returns the redemption', async () => {
  const api = fresh()
  const result = await client().redeem({ benefitCode: 'CODE-1', orderId: 'order-1' })

  assert.is(result.redemption.benefitInstanceId, 'bi_1')
  assert.is(result.redemption.orderId, 'order-1')
  assert.is(result.instance.status, 'USED')
  assert.is(result.replayed, false)
  assert.is(result.requestId, 'req_1')
  assert.is(api.seen.length, 1)
  assert.equal(api.seen[0]!.auth, { ok: true, kind: 'apiKey', keyId: 'k1', nonce: (api.seen[0]!.auth as { nonce: string }).nonce })
  assert.match(api.seen[0]!.headers['authorization']!, /^BK-HMAC-SHA256 key=k1,ts=\d+,nonce=[A-Za-z0-9_-]{16,64},sig=[A-Za-z0-9_-]{43}$/)
  assert.is(api.seen[0]!.headers['content-type'], 'application/json')
})

test('the API-key secret itself never goes over the wire, only the key id and a signature', async () => {
  fresh()
  const before = server.raw.length
  await client().redeem({ benefitCode: 'CODE-1' })
  await client().lookup({ benefitCode: 'CODE-1' })
  const sent = server.raw.slice(before)
  assert.is(sent.length, 2)
  const randomPart = apiKey.slice('bk_k1_'.length)
  for (const request of sent) {
    assert.not.ok(request.includes(apiKey), 'secret sent')
    assert.not.ok(request.includes(randomPart), 'secret part sent')
  }
})

test('503, 409 IDEMPOTENCY_KEY_IN_USE and a dropped connection are retried with one Idempotency-Key and fresh nonces', async () => {
  const api = fresh()
  api.enqueue({ status: 503, code: 'UNAVAILABLE' }, { status: 409, code: 'IDEMPOTENCY_KEY_IN_USE' }, 'drop')
  const retries: number[] = []
  const result = await client({ onRetry: (e) => retries.push(e.attempt) }).redeem({ benefitCode: 'CODE-1' })

  assert.is(result.redemption.redemptionId, 'rd_1')
  assert.is(api.seen.length, 4)
  assert.equal(retries, [1, 2, 3])
  const keys = new Set(api.idempotencyKeys)
  assert.is(keys.size, 1)
  assert.match([...keys][0]!, /^[A-Za-z0-9_.:-]{8,255}$/)
  // Every attempt was signed anew: the fake refuses a nonce it has seen.
  assert.ok(api.seen.every((r) => r.auth.ok))
  assert.is(new Set(api.seen.map((r) => (r.auth as { nonce: string }).nonce)).size, 4)
})

test('an answer lost after the redeem happened is recovered as an idempotent replay, not a second redemption', async () => {
  const api = fresh()
  api.enqueue('drop-after')
  const result = await client().redeem({ benefitCode: 'CODE-1' })
  assert.is(result.replayed, true)
  assert.is(result.redemption.redemptionId, 'rd_1')
  assert.is(api.redemptions.length, 1)
  assert.is(new Set(api.idempotencyKeys).size, 1)
})

test('a caller-supplied idempotencyKey is sent, and a repeat with it replays instead of failing', async () => {
  const api = fresh()
  const first = await client().redeem({ benefitCode: 'CODE-1' }, { idempotencyKey: 'order-42:redeem' })
  const again = await client().redeem({ benefitCode: 'CODE-1' }, { idempotencyKey: 'order-42:redeem' })
  assert.equal(api.idempotencyKeys, ['order-42:redeem', 'order-42:redeem'])
  assert.is(again.replayed, true)
  assert.is(again.redemption.redemptionId, first.redemption.redemptionId)
})

test('429 waits for Retry-After seconds before the next attempt', async () => {
  const api = fresh()
  api.enqueue({ status: 429, code: 'RATE_LIMITED', headers: { 'Retry-After': '1' } })
  const delays: number[] = []
  await client({ onRetry: (e) => delays.push(e.delayMs) }).redeem({ benefitCode: 'CODE-1' })
  assert.equal(delays, [1000])
  assert.is(api.seen.length, 2)
  const gap = api.seen[1]!.at - api.seen[0]!.at
  assert.ok(gap >= 950, `second attempt after ${gap} ms`)
})

test('400 and 422 are not retried and map to ApiError with code, status and requestId', async () => {
  const api = fresh()
  api.enqueue({ status: 400, code: 'INVALID_REQUEST', message: 'orderId: at most 64 characters' })
  const bad = await rejection(client().redeem({ benefitCode: 'CODE-1' }))
  assert.instance(bad, ApiError)
  assert.is(bad.code, 'INVALID_REQUEST')
  assert.is(bad.status, 400)
  assert.is(bad.requestId, 'req_1')
  assert.is(bad.retryable, false)
  assert.match(bad.message, 'orderId: at most 64 characters')
  assert.is(api.seen.length, 1)

  const pin = await rejection(client().redeem({ benefitCode: 'CODE-PIN', benefitPin: '0000' }))
  assert.is(pin.code, 'PIN_MISMATCH')
  assert.is(pin.status, 422)
  assert.is(pin.requestId, 'req_2')
  assert.is(api.seen.length, 2)
})

test('409 BENEFIT_ALREADY_USED is final, and the error carries the Idempotency-Key it used', async () => {
  const api = fresh()
  await client().redeem({ benefitCode: 'CODE-1' })
  const used = await rejection(client().redeem({ benefitCode: 'CODE-1' }, { idempotencyKey: 'second-try-1' }))
  assert.is(used.code, 'BENEFIT_ALREADY_USED')
  assert.is(used.status, 409)
  assert.is(used.retryable, false)
  assert.is(used.idempotencyKey, 'second-try-1')
  assert.is(api.seen.length, 2)
})

test('the total deadline stops retries, with the last error', async () => {
  // Its own server: an attempt the deadline cuts short may still arrive later,
  // and must not land in the next test's queue.
  const own = new FakeRedemptionApi()
  own.addApiKey(apiKey)
  own.enqueue(...Array.from({ length: 50 }, () => ({ status: 503, code: 'UNAVAILABLE' })))
  const ownServer = await startHttpServer(() => own)
  try {
    const started = Date.now()
    const error = await rejection(
      client({ baseUrl: ownServer.url, retry: { maxAttempts: 50, baseDelayMs: 40, maxDelayMs: 80, deadlineMs: 1500 } }).redeem({ benefitCode: 'CODE-1' }),
    )
    const elapsed = Date.now() - started
    // The last error is the 503, or the timeout of an attempt the deadline cut short.
    assert.ok(['UNAVAILABLE', 'TIMEOUT'].includes(error.code), error.code)
    assert.is(error.retryable, true)
    assert.ok(elapsed < 2000, `took ${elapsed} ms`)
    assert.ok(own.seen.length >= 2 && own.seen.length < 50, `${own.seen.length} attempts`)
  } finally {
    ownServer.server.closeAllConnections()
    ownServer.server.close()
  }
})

test('a Retry-After beyond the deadline fails at once instead of waiting', async () => {
  const api = fresh()
  api.enqueue({ status: 429, code: 'RATE_LIMITED', headers: { 'Retry-After': '30' } })
  const started = Date.now()
  const error = await rejection(client({ retry: { deadlineMs: 2000 } }).redeem({ benefitCode: 'CODE-1' }))
  assert.is(error.code, 'RATE_LIMITED')
  assert.is(error.status, 429)
  assert.ok(Date.now() - started < 500)
  assert.is(api.seen.length, 1)
})

test('no answer within timeoutMs rejects with TimeoutError', async () => {
  const api = fresh()
  api.enqueue('hang')
  const started = Date.now()
  const error = await rejection(client({ timeoutMs: 150, retry: { maxAttempts: 1 } }).redeem({ benefitCode: 'CODE-1' }))
  const elapsed = Date.now() - started
  assert.instance(error, TimeoutError)
  assert.instance(error, BenefitKitError)
  assert.is(error.code, 'TIMEOUT')
  assert.is(error.retryable, true)
  assert.is(error.status, undefined)
  assert.ok(elapsed >= 140 && elapsed < 1000, `took ${elapsed} ms`)
})

test('a body that stalls after the headers is a timeout too', async () => {
  const api = fresh()
  api.enqueue('stall-body')
  const started = Date.now()
  // Raced against a watchdog so that a transport which stops timing after the headers fails here instead of hanging.
  const watchdog = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still waiting for the body after 2 s')), 2000).unref())
  const call = client({ timeoutMs: 150, retry: { maxAttempts: 1 } }).redeem({ benefitCode: 'CODE-1' })
  const error = await rejection(Promise.race([call, watchdog]))
  assert.is(error.code, 'TIMEOUT')
  assert.ok(Date.now() - started < 1000)
})

test('a timed-out attempt is retried with the same key', async () => {
  const api = fresh()
  api.enqueue('hang')
  const result = await client({ timeoutMs: 150 }).redeem({ benefitCode: 'CODE-1' })
  assert.is(result.redemption.redemptionId, 'rd_1')
  assert.is(api.seen.length, 2)
  assert.is(new Set(api.idempotencyKeys).size, 1)
})

test('a proxy HTML 502 is UNEXPECTED_RESPONSE, retried, and a final one keeps its status', async () => {
  const api = fresh()
  api.enqueue({ status: 502, body: '<html>Bad Gateway</html>' })
  const ok = await client().lookup({ benefitCode: 'CODE-1' })
  assert.is(ok.redeemable, true)
  assert.is(api.seen.length, 2)

  api.enqueue({ status: 502, body: '<html>Bad Gateway</html>' })
  const error = await rejection(client({ retry: { maxAttempts: 1 } }).lookup({ benefitCode: 'CODE-1' }))
  assert.is(error.code, 'UNEXPECTED_RESPONSE')
  assert.is(error.status, 502)
  assert.is(error.retryable, true)
})

test('lookup is read-only: it sends no Idempotency-Key and reports redeemability', async () => {
  const api = fresh()
  api.enqueue({ status: 500, code: 'INTERNAL' })
  const before = await client().lookup({ benefitCode: 'CODE-PIN' })
  assert.is(before.redeemable, true)
  assert.is(before.pinRequired, true)
  assert.is(api.seen.length, 2)
  assert.is(api.seen[1]!.headers['idempotency-key'], undefined)
  assert.is(api.seen[1]!.path, '/v1/benefits/lookup')
  const missing = await rejection(client().lookup({ benefitCode: 'NOPE' }))
  assert.is(missing.code, 'BENEFIT_NOT_FOUND')
  assert.is(missing.status, 404)
})

test('a stale clock is refused by the server (401) and not retried with an API key', async () => {
  const api = fresh()
  const error = await rejection(client({ now: () => Date.now() - 10 * 60 * 1000 }).redeem({ benefitCode: 'CODE-1' }))
  assert.is(error.code, 'UNAUTHENTICATED')
  assert.is(error.status, 401)
  assert.match(error.message, 'ts outside')
  assert.is(api.seen.length, 1)
})

test('a baseUrl with a path prefix signs the full path', async () => {
  const api = fresh()
  const result = await client({ baseUrl: `${server.url}/benefitkit/` }).redeem({ benefitCode: 'CODE-1' })
  assert.is(result.redemption.redemptionId, 'rd_1')
  assert.is(api.seen[0]!.path, '/benefitkit/v1/redemptions')
  assert.ok(api.seen[0]!.auth.ok)
})

test('server side mints a user token; the mini program then redeems with Bearer', async () => {
  const api = fresh()
  const minted = await client().createUserToken({ userId: '2088000000000001', ttlSeconds: 600 })
  assert.match(minted.token, /^bkt_/)
  assert.is(minted.userId, '2088000000000001')
  assert.is(JSON.parse(api.seen[0]!.body).ttlSeconds, 600)

  const front = client({ auth: { token: minted.token } })
  const result = await front.redeem({ benefitCode: 'CODE-1' })
  assert.is(result.redemption.userId, '2088000000000001')
  assert.is(api.seen[1]!.headers['authorization'], `Bearer ${minted.token}`)

  const other = await rejection(front.redeem({ benefitCode: 'CODE-OTHER-USER' }))
  assert.is(other.code, 'FORBIDDEN')
})

test('fetchTransport on its own: lower-case headers, raw body, GET without a body, network failures typed', async () => {
  fresh()
  const transport = fetchTransport(fetch)
  const res = await transport({ method: 'GET', url: `${server.url}/v1/benefits/lookup`, headers: {}, body: 'ignored', timeoutMs: 1000 })
  assert.is(res.status, 401)
  assert.is(res.headers['x-request-id'], 'req_1')
  assert.ok(Object.keys(res.headers).every((k) => k === k.toLowerCase()))
  assert.is(JSON.parse(res.body).error.code, 'UNAUTHENTICATED')
  assert.is(api.seen[0]!.body, '')

  try {
    await transport({ method: 'POST', url: 'http://127.0.0.1:1/v1/redemptions', headers: {}, body: '{}', timeoutMs: 1000 })
    assert.unreachable('should reject')
  } catch (error) {
    assert.ok(isTransportError(error))
    assert.is(error.kind, 'network')
    assert.is(error.retryable, true)
  }
})

test.after(() => server.close())

test.run()
