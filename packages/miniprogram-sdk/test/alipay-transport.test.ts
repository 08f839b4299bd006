/** The client over `alipayTransport(my)` against a faithful fake of Alipay's `my.request`. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ApiError, createRedemptionClient, NetworkError, TimeoutError, type RedemptionClientOptions } from '../src/index.js'
import { alipayTransport } from '../src/transports/alipay.js'
import { FakeRedemptionApi } from './fake-api.js'
import { fakeMy, type FakeMyOptions } from './fake-platforms.js'
import { rejection } from './helpers.js'

const TOKEN = 'bkt_alipay_user_1'

function setup(myOptions: FakeMyOptions = {}, clientOptions: Partial<RedemptionClientOptions> = {}) {
  const api = new FakeRedemptionApi()
  api.addToken(TOKEN, '2088000000000001')
  const my = fakeMy(api, myOptions)
  const client = createRedemptionClient({
    baseUrl: 'https://connector.example.com',
    auth: { token: TOKEN },
    transport: alipayTransport(my),
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...clientOptions,
  })
  return { api, my, client }
}

test('sends headers in `headers`, asks for the raw text body, passes the timeout, and redeems', async () => {
  const { api, my, client } = setup({}, { timeoutMs: 4000 })
  const result = await client.redeem({ benefitCode: 'CODE-1', orderId: 'o-1' })
  assert.is(result.redemption.orderId, 'o-1')
  assert.is(result.requestId, 'req_1')
  const call = my.calls[0]!
  assert.is(call.method, 'POST')
  assert.is(call.url, 'https://connector.example.com/v1/redemptions')
  assert.is(call.dataType, 'text')
  assert.is(call.timeout, 4000)
  assert.is(typeof call.data, 'string')
  assert.is(call.headers?.['Authorization'], `Bearer ${TOKEN}`)
  assert.is(call.header, undefined)
  assert.ok(api.seen[0]!.auth.ok)
})

test('3.x answers with only the statusCode/header aliases still work, in success and in fail', async () => {
  const { my, client } = setup({ version: 3 })
  // Strip the 2.x names so only the aliases are left.
  const onlyAliases = (cb: unknown) => (res: { status?: number; headers?: unknown }) => {
    const { status: _status, headers: _headers, ...aliases } = res
    ;(cb as (r: object) => void)(aliases)
  }
  const request = my.request
  my.request = (o) => request({ ...o, success: onlyAliases(o.success), fail: onlyAliases(o.fail) } as typeof o)

  const result = await client.redeem({ benefitCode: 'CODE-1' })
  assert.is(result.requestId, 'req_1')
  const error = await rejection(client.redeem({ benefitCode: 'CODE-1' }))
  assert.is(error.code, 'BENEFIT_ALREADY_USED')
  assert.is(error.status, 409)
  assert.is(my.calls.length, 2)
})

test('a non-2xx answer delivered to fail as error 19 keeps its status and body: ApiError, not retried', async () => {
  const { api, client } = setup()
  await client.redeem({ benefitCode: 'CODE-1' })
  const error = await rejection(client.redeem({ benefitCode: 'CODE-1' }))
  assert.instance(error, ApiError)
  assert.is(error.code, 'BENEFIT_ALREADY_USED')
  assert.is(error.status, 409)
  assert.is(error.requestId, 'req_2')
  assert.is(api.seen.length, 2)
})

test('error 19 with a 503 is retried with the same Idempotency-Key', async () => {
  const { api, client } = setup()
  api.enqueue({ status: 503, code: 'UNAVAILABLE' }, { status: 409, code: 'IDEMPOTENCY_KEY_IN_USE' })
  const result = await client.redeem({ benefitCode: 'CODE-1' })
  assert.is(result.redemption.redemptionId, 'rd_1')
  assert.is(api.seen.length, 3)
  assert.is(new Set(api.idempotencyKeys).size, 1)
})

test('error 13 is a TimeoutError', async () => {
  const { api, client } = setup({}, { timeoutMs: 60, retry: { maxAttempts: 1 } })
  api.enqueue('hang')
  const error = await rejection(client.redeem({ benefitCode: 'CODE-1' }))
  assert.instance(error, TimeoutError)
  assert.is(error.code, 'TIMEOUT')
  assert.match(error.message, 'error 13')
})

test('error 12 is a NetworkError and is retried', async () => {
  const { api, client } = setup()
  api.enqueue('drop', 'drop-after')
  const result = await client.redeem({ benefitCode: 'CODE-1' })
  assert.is(result.replayed, true)
  assert.is(api.seen.length, 3)
  assert.is(api.redemptions.length, 1)
  assert.is(new Set(api.idempotencyKeys).size, 1)

  api.enqueue('drop')
  const error = await rejection(client.lookup({ benefitCode: 'CODE-1' }, { deadlineMs: 1 }))
  assert.instance(error, NetworkError)
  assert.is(error.code, 'NETWORK_ERROR')
  assert.is(error.retryable, true)
})

test('error 11 (domain not allowed) is not retried', async () => {
  const { my, client } = setup()
  my.request = (o) => {
    my.calls.push(o)
    setTimeout(() => (o.fail as (e: object) => void)({ error: 11, errorMessage: '无权跨域' }), 1)
  }
  const error = await rejection(client.redeem({ benefitCode: 'CODE-1' }))
  assert.is(error.code, 'NETWORK_ERROR')
  assert.is(error.retryable, false)
  assert.is(my.calls.length, 1)
})

test('a runtime that ignores `timeout` is cut off by the guard timer, which aborts the task', async () => {
  const { my, client } = setup({ silent: true }, { timeoutMs: 50, retry: { maxAttempts: 1 } })
  const started = Date.now()
  const error = await rejection(client.lookup({ benefitCode: 'CODE-1' }))
  assert.is(error.code, 'TIMEOUT')
  assert.is(my.aborted, 1)
  assert.ok(Date.now() - started < 2000)
})

test('a body parsed despite dataType text is re-serialised, for answers and errors alike', async () => {
  const { client } = setup({ alwaysParseJson: true })
  const ok = await client.redeem({ benefitCode: 'CODE-1' })
  assert.is(ok.redemption.redemptionId, 'rd_1')
  const error = await rejection(client.redeem({ benefitCode: 'CODE-1' }))
  assert.is(error.code, 'BENEFIT_ALREADY_USED')
  assert.is(error.status, 409)
})

test('3.x: the promise my.request returns rejects on fail without an unhandled rejection', async () => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  try {
    const { api, client } = setup({ version: 3 })
    api.enqueue({ status: 503, code: 'UNAVAILABLE' })
    await client.redeem({ benefitCode: 'CODE-1' })
    await rejection(client.redeem({ benefitCode: 'CODE-1' }))
    await new Promise((resolve) => setTimeout(resolve, 20))
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
  assert.equal(unhandled, [])
})

test.run()
