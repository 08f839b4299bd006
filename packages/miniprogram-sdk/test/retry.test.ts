/** Which failures are retried, how long the client waits, and what it refuses before sending. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createRedemptionClient, TransportError, type Transport, type TransportResponse } from '../src/index.js'
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter, retryPolicy } from '../src/retry.js'
import { rejection } from './helpers.js'

type Step = TransportResponse | Error | (() => never)

/** A transport that plays `steps` in order (the last one repeats) and records every request. */
function scripted(...steps: Step[]) {
  const requests: Parameters<Transport>[0][] = []
  const transport: Transport = async (req) => {
    requests.push(req)
    const step = steps[Math.min(requests.length - 1, steps.length - 1)]!
    if (typeof step === 'function') return step()
    if (step instanceof Error) throw step
    return step
  }
  return { transport, requests }
}

const answer = (status: number, body: unknown = {}, headers: Record<string, string> = {}): TransportResponse => ({
  status,
  headers: { 'x-request-id': 'req_x', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
})
const apiError = (status: number, code: string) => answer(status, { error: { code, message: code, requestId: 'req_e' } })
const redeemed = answer(200, { redemption: { redemptionId: 'rd_1' }, instance: { status: 'USED' } })

function client(transport: Transport, maxAttempts = 3) {
  return createRedemptionClient({
    baseUrl: 'https://connector.example.com',
    auth: { token: 'bkt_1' },
    transport,
    retry: { maxAttempts, baseDelayMs: 1, maxDelayMs: 2 },
  })
}

const NOT_RETRIED: [number, string][] = [
  [400, 'INVALID_REQUEST'],
  [401, 'UNAUTHENTICATED'],
  [403, 'FORBIDDEN'],
  [404, 'BENEFIT_NOT_FOUND'],
  [409, 'BENEFIT_ALREADY_USED'],
  [409, 'BENEFIT_REVERSED'],
  [422, 'BENEFIT_EXPIRED'],
  [422, 'BENEFIT_NOT_YET_VALID'],
  [422, 'USER_MISMATCH'],
  [422, 'PIN_MISMATCH'],
  [422, 'IDEMPOTENCY_KEY_REUSED'],
]
const RETRIED: [number, string][] = [
  [409, 'IDEMPOTENCY_KEY_IN_USE'],
  [429, 'RATE_LIMITED'],
  [500, 'INTERNAL'],
  [502, 'INTERNAL'],
  [503, 'UNAVAILABLE'],
  [504, 'INTERNAL'],
]

test('client errors other than 409 IDEMPOTENCY_KEY_IN_USE and 429 are never retried', async () => {
  for (const [status, code] of NOT_RETRIED) {
    const { transport, requests } = scripted(apiError(status, code), redeemed)
    const error = await rejection(client(transport).redeem({ benefitCode: 'C' }))
    assert.is(error.code, code)
    assert.is(error.status, status)
    assert.is(error.retryable, false, code)
    assert.is(requests.length, 1, `${status} ${code} was retried`)
  }
})

test('409 IDEMPOTENCY_KEY_IN_USE, 429, 500, 502, 503 and 504 are retried up to maxAttempts', async () => {
  for (const [status, code] of RETRIED) {
    const { transport, requests } = scripted(apiError(status, code))
    const error = await rejection(client(transport, 3).redeem({ benefitCode: 'C' }))
    assert.is(error.code, code)
    assert.is(error.retryable, true)
    assert.is(requests.length, 3, `${status} ${code}`)
    assert.is(new Set(requests.map((r) => r.headers['Idempotency-Key'])).size, 1)
  }
})

test('network errors and timeouts are retried; aborts and non-retryable transport errors are not', async () => {
  const cases: [Error, number, string][] = [
    [new TransportError('network', 'reset'), 3, 'NETWORK_ERROR'],
    [new TransportError('timeout', 'slow'), 3, 'TIMEOUT'],
    [new TransportError('aborted', 'page closed'), 1, 'ABORTED'],
    [new TransportError('network', 'not allowed', { retryable: false }), 1, 'NETWORK_ERROR'],
    [new TypeError('a custom transport blew up'), 3, 'NETWORK_ERROR'],
  ]
  for (const [thrown, attempts, code] of cases) {
    const { transport, requests } = scripted(thrown)
    const error = await rejection(client(transport, 3).lookup({ benefitCode: 'C' }))
    assert.is(error.code, code)
    assert.is(error.cause, thrown)
    assert.is(requests.length, attempts, thrown.message)
  }
})

test('a transport that throws synchronously is a network error, not a crash', async () => {
  const { transport, requests } = scripted(() => {
    throw new TransportError('network', 'sync')
  }, redeemed)
  const ok = await client(transport).redeem({ benefitCode: 'C' })
  assert.is(ok.redemption.redemptionId, 'rd_1')
  assert.is(requests.length, 2)
})

test('a 2xx that is not a JSON object is UNEXPECTED_RESPONSE and not retried', async () => {
  const { transport, requests } = scripted(answer(200, 'OK'))
  const error = await rejection(client(transport).redeem({ benefitCode: 'C' }))
  assert.is(error.code, 'UNEXPECTED_RESPONSE')
  assert.is(error.status, 200)
  assert.is(error.retryable, false)
  assert.is(requests.length, 1)
})

test('backoff is full jitter: random × min(maxDelay, base × 2^(n-1))', () => {
  const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 }
  assert.is(backoffDelay(1, policy, () => 0), 0)
  assert.is(backoffDelay(1, policy, () => 0.5), 50)
  assert.is(backoffDelay(2, policy, () => 0.5), 100)
  assert.is(backoffDelay(3, policy, () => 0.999), 399)
  assert.is(backoffDelay(10, policy, () => 0.999), 999)
})

test('the client waits the jittered delay from the injected random source', async () => {
  const { transport } = scripted(apiError(503, 'UNAVAILABLE'), apiError(503, 'UNAVAILABLE'), redeemed)
  const delays: number[] = []
  const c = createRedemptionClient({
    baseUrl: 'https://connector.example.com',
    auth: { token: 'bkt_1' },
    transport,
    random: () => 0.5,
    retry: { baseDelayMs: 10, maxDelayMs: 1000 },
    onRetry: (e) => delays.push(e.delayMs),
  })
  await c.redeem({ benefitCode: 'C' })
  assert.equal(delays, [5, 10])
})

test('Retry-After: seconds, fractional seconds, HTTP dates, garbage', () => {
  const now = Date.parse('2026-11-24T08:00:00.000Z')
  assert.is(parseRetryAfter('2', now), 2000)
  assert.is(parseRetryAfter(' 0 ', now), 0)
  assert.is(parseRetryAfter('1.5', now), 1500)
  assert.is(parseRetryAfter('Tue, 24 Nov 2026 08:00:03 GMT', now), 3000)
  assert.is(parseRetryAfter('soon', now), undefined)
  assert.is(parseRetryAfter(undefined, now), undefined)
})

test('retry options: defaults, undefined ignored, maxAttempts at least 1', () => {
  assert.equal(retryPolicy(undefined), DEFAULT_RETRY)
  assert.is(retryPolicy({ maxAttempts: undefined }).maxAttempts, DEFAULT_RETRY.maxAttempts)
  assert.is(retryPolicy({ maxAttempts: 0 }).maxAttempts, 1)
  assert.is(retryPolicy({ deadlineMs: 5 }).deadlineMs, 5)
})

test('each attempt gets at most the time left before the deadline', async () => {
  const { transport, requests } = scripted(new TransportError('timeout', 'slow'))
  let clock = 0
  const c = createRedemptionClient({
    baseUrl: 'https://connector.example.com',
    auth: { token: 'bkt_1' },
    transport: async (req) => {
      clock += req.timeoutMs // the attempt used all its time
      return transport(req)
    },
    now: () => clock,
    random: () => 0,
    timeoutMs: 400,
    retry: { maxAttempts: 10, deadlineMs: 1000 },
  })
  const error = await rejection(c.lookup({ benefitCode: 'C' }))
  assert.is(error.code, 'TIMEOUT')
  assert.equal(
    requests.map((r) => r.timeoutMs),
    [400, 400, 200],
  )
})

test('redeem input is checked before sending: exactly one of benefitCode and benefitInstanceId', async () => {
  const { transport, requests } = scripted(redeemed)
  const both = await rejection(client(transport).redeem({ benefitCode: 'C', benefitInstanceId: 'bi_1' } as never))
  assert.is(both.code, 'INVALID_REQUEST')
  const neither = await rejection(client(transport).redeem({} as never))
  assert.is(neither.code, 'INVALID_REQUEST')
  assert.is(requests.length, 0)
})

test('a malformed idempotencyKey is refused before sending', async () => {
  const { transport, requests } = scripted(redeemed)
  for (const key of ['short', 'has space in it', 'x'.repeat(256), 'ünïcode-key']) {
    const error = await rejection(client(transport).redeem({ benefitCode: 'C' }, { idempotencyKey: key }))
    assert.is(error.code, 'INVALID_REQUEST', key)
  }
  assert.is(requests.length, 0)
})

test('only the contract fields are sent, unknown ones are dropped', async () => {
  const { transport, requests } = scripted(redeemed)
  await client(transport).redeem({
    benefitCode: 'C',
    orderId: 'o-1',
    usedAmount: { currency: 'HKD', value: '1000' },
    useScene: 'OFFLINE_STORE',
    storeId: undefined,
    surprise: 'x',
  } as never)
  assert.equal(JSON.parse(requests[0]!.body), {
    benefitCode: 'C',
    orderId: 'o-1',
    usedAmount: { currency: 'HKD', value: '1000' },
    useScene: 'OFFLINE_STORE',
  })
  assert.is(requests[0]!.url, 'https://connector.example.com/v1/redemptions')
  assert.is(requests[0]!.method, 'POST')
})

test('each redeem call gets its own key', async () => {
  const { transport, requests } = scripted(redeemed)
  await client(transport).redeem({ benefitCode: 'C' })
  await client(transport).redeem({ benefitCode: 'C' })
  assert.is.not(requests[0]!.headers['Idempotency-Key'], requests[1]!.headers['Idempotency-Key'])
})

test('a bad baseUrl or missing transport is a TypeError at creation', () => {
  const transport = scripted(redeemed).transport
  assert.throws(() => createRedemptionClient({ baseUrl: 'connector.example.com', auth: { token: 't' }, transport }), /baseUrl/)
  assert.throws(() => createRedemptionClient({ baseUrl: 'https://x.example/a?b=1', auth: { token: 't' }, transport }), /baseUrl/)
  assert.throws(() => createRedemptionClient({ baseUrl: 'https://x.example', auth: { token: 't' } } as never), /transport/)
})

test.run()
