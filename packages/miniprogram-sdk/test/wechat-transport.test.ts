/** The client over `wechatTransport(wx)` against a faithful fake of WeChat's `wx.request`. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ApiError, createRedemptionClient, NetworkError, TimeoutError, type RedemptionClientOptions } from '../src/index.js'
import { wechatTransport } from '../src/transports/wechat.js'
import { FakeRedemptionApi } from './fake-api.js'
import { fakeWx, type FakeWxOptions } from './fake-platforms.js'
import { rejection } from './helpers.js'

const TOKEN = 'bkt_wechat_user_1'

function setup(wxOptions: FakeWxOptions = {}, clientOptions: Partial<RedemptionClientOptions> = {}) {
  const api = new FakeRedemptionApi()
  api.addToken(TOKEN, '2088000000000001')
  const wx = fakeWx(api, wxOptions)
  const client = createRedemptionClient({
    baseUrl: 'https://connector.example.com',
    auth: { token: TOKEN },
    transport: wechatTransport(wx),
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...clientOptions,
  })
  return { api, wx, client }
}

test('sends headers in `header`, keeps the body unparsed, and redeems', async () => {
  const { api, wx, client } = setup({}, { timeoutMs: 3000 })
  const result = await client.redeem({ benefitCode: 'CODE-1' })
  assert.is(result.redemption.redemptionId, 'rd_1')
  const call = wx.calls[0]!
  assert.is(call.header?.['Authorization'], `Bearer ${TOKEN}`)
  assert.is(call.headers, undefined)
  assert.is.not(call.dataType, 'json')
  assert.is(call.responseType, 'text')
  assert.is(call.timeout, 3000)
  assert.ok(api.seen[0]!.auth.ok)
})

test('the transport lower-cases header names and returns the raw body', async () => {
  const { wx } = setup()
  const transport = wechatTransport(wx)
  const res = await transport({
    method: 'POST',
    url: 'https://connector.example.com/v1/benefits/lookup',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: '{"benefitCode":"CODE-1"}',
    timeoutMs: 1000,
  })
  assert.is(res.status, 200)
  assert.is(res.headers['x-request-id'], 'req_1')
  assert.is(res.headers['X-Request-Id'], undefined)
  assert.is(typeof res.body, 'string')
  assert.is(JSON.parse(res.body).redeemable, true)
})

test('4xx arrives in success and becomes an ApiError with code, status and requestId', async () => {
  const { api, client } = setup()
  const error = await rejection(client.redeem({ benefitCode: 'CODE-PIN', benefitPin: '9999' }))
  assert.instance(error, ApiError)
  assert.is(error.code, 'PIN_MISMATCH')
  assert.is(error.status, 422)
  assert.is(error.requestId, 'req_1')
  assert.is(api.seen.length, 1)
})

test('5xx and 409 IDEMPOTENCY_KEY_IN_USE in success are retried with one key', async () => {
  const { api, client } = setup()
  api.enqueue({ status: 500, code: 'INTERNAL' }, { status: 504, body: 'gateway timeout' }, { status: 409, code: 'IDEMPOTENCY_KEY_IN_USE' })
  const result = await client.redeem({ benefitCode: 'CODE-1' })
  assert.is(result.redemption.redemptionId, 'rd_1')
  assert.is(api.seen.length, 4)
  assert.is(new Set(api.idempotencyKeys).size, 1)
})

test("errMsg 'request:fail timeout' is a TimeoutError", async () => {
  const { api, client } = setup({}, { timeoutMs: 60, retry: { maxAttempts: 1 } })
  api.enqueue('hang')
  const error = await rejection(client.redeem({ benefitCode: 'CODE-1' }))
  assert.instance(error, TimeoutError)
  assert.is(error.code, 'TIMEOUT')
  assert.match(error.message, 'request:fail timeout')
})

test("errMsg 'request:fail abort' is ABORTED and not retried", async () => {
  const { api, wx, client } = setup()
  api.enqueue('hang')
  const pending = rejection(client.redeem({ benefitCode: 'CODE-1' }))
  await new Promise((resolve) => setTimeout(resolve, 20))
  wx.tasks[0]!.abort()
  const error = await pending
  assert.instance(error, NetworkError)
  assert.is(error.code, 'ABORTED')
  assert.is(error.retryable, false)
  assert.is(wx.calls.length, 1)
})

test('other request:fail messages are network errors and are retried', async () => {
  const { api, wx, client } = setup()
  api.enqueue('drop')
  const result = await client.lookup({ benefitCode: 'CODE-1' })
  assert.is(result.redeemable, true)
  assert.is(wx.calls.length, 2)
})

test("'url not in domain list' is not retried", async () => {
  const { wx, client } = setup({ domains: ['https://other.example.com'] })
  const error = await rejection(client.redeem({ benefitCode: 'CODE-1' }))
  assert.is(error.code, 'NETWORK_ERROR')
  assert.is(error.retryable, false)
  assert.match(error.message, 'domain list')
  assert.is(wx.calls.length, 1)
})

test('a JSON body the base library parsed into an object still decodes, for answers and errors', async () => {
  const { client } = setup({ alwaysParseJson: true })
  const ok = await client.redeem({ benefitCode: 'CODE-1' })
  assert.is(ok.redemption.redemptionId, 'rd_1')
  assert.is(ok.instance.status, 'USED')
  const error = await rejection(client.redeem({ benefitCode: 'CODE-1' }))
  assert.is(error.code, 'BENEFIT_ALREADY_USED')
  assert.is(error.status, 409)
})

test('429 with a Retry-After header in canonical case is honoured', async () => {
  const delays: number[] = []
  const { api, client } = setup({}, { onRetry: (e) => delays.push(e.delayMs) })
  api.enqueue({ status: 429, code: 'RATE_LIMITED', headers: { 'Retry-After': '1' } })
  await client.lookup({ benefitCode: 'CODE-1' })
  assert.equal(delays, [1000])
  assert.is(api.seen.length, 2)
})

test.run()
