/**
 * The examples run against a real connector, so they cannot rot:
 * - node-checkout's run.ts (a child process, as people run it) pays an order
 *   with a voucher the sandbox issued, and refuses a second order;
 * - isv-extension's run.ts (the connector with the ISV's extensions, a child
 *   process) syncs a template with its own code pool against the sandbox, issues
 *   pool codes, and its hook prints the syncUsedBenefit of a redemption;
 * - the Alipay and WeChat checkout pages, loaded with fake `my` / `wx` / `Page`
 *   globals whose request goes to the connector (and to a token route for the
 *   shop's server), look up, pay, and refuse a used or foreign voucher.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApiKey, openDatabase } from '@benefitkit/connector'
import { createRedemptionClient } from '@benefitkit/miniprogram-sdk'
import { fetchTransport } from '@benefitkit/miniprogram-sdk/fetch'
import { createSandbox } from '@benefitkit/sandbox'
import { ensureTemplate, templateFile, waitForTemplateState } from '../scripts/dev-setup.js'
import { createCheckout, formatMoney, idempotencyKeyOf, type PayResult } from '../examples/node-checkout/checkout.js'
import { auditUsedBenefitBody } from '../examples/isv-extension/used-benefit-hook.js'
import { voucherCodes } from '../examples/isv-extension/code-generator.js'
import { exitOf, runTs, startTestStack, testDevKeys } from './support/e2e.js'

const test = suite('examples against a real connector')

test('node-checkout: run.ts redeems a voucher for an order, replays that order, refuses another order and unknown codes', async () => {
  const stack = await startTestStack()
  const children: Array<ReturnType<typeof runTs>> = []
  try {
    await ensureTemplate(stack.connector, templateFile({ id: 'checkout-demo' }))
    await waitForTemplateState(stack.db, 'checkout-demo', ['SYNCED'], { timeoutMs: 5_000 })
    await stack.sandbox.waitFor((s) => s.templates.find((t) => t.benefitTemplateId === 'checkout-demo')?.syncStatus === 'SUCCESS')
    stack.sandbox.release('checkout-demo')
    const collect = await stack.sandbox.collect({ userId: 'shopper-1', templateId: 'checkout-demo' })
    const code = collect.benefitDetails[0]!.benefitCode!
    const key = await createApiKey(stack.db, { name: 'example-checkout' })
    const env = { BENEFITKIT_URL: stack.connectorUrl, BENEFITKIT_API_KEY: key.secret }

    const first = runTs('examples/node-checkout/run.ts', ['--code', code, '--order', 'A-100', '--user', 'shopper-1', '--json'], env)
    children.push(first)
    assert.is(await exitOf(first), 0, first.stderr())
    const paid = JSON.parse(first.lines.join('\n')) as PayResult
    assert.ok(paid.ok, JSON.stringify(paid))
    if (!paid.ok) return
    assert.is(paid.replayed, false)
    assert.is(paid.instance.status, 'USED')
    assert.is(paid.redemption.orderId, 'A-100')
    assert.is(formatMoney(paid.discount!), 'HKD 10.00')
    const rows = await stack.db.selectFrom('redemptions').select(['order_id', 'user_id']).execute()
    assert.equal(rows, [{ order_id: 'A-100', user_id: 'shopper-1' }])

    const other = runTs('examples/node-checkout/run.ts', ['--code', code, '--order', 'A-101'], env)
    children.push(other)
    assert.is(await exitOf(other), 1, other.stderr())
    assert.match(other.lines.join('\n'), /not redeemed: This voucher has already been used\. \[BENEFIT_ALREADY_USED/)

    // The same order again (a retry after a lost answer) gets the first answer, in-process this time.
    const checkout = createCheckout({ baseUrl: stack.connectorUrl, apiKey: key.secret })
    const again = await checkout.pay({ orderId: 'A-100', benefitCode: code, userId: 'shopper-1' })
    assert.ok(again.ok && again.replayed && again.redemption.redemptionId === paid.redemption.redemptionId, JSON.stringify(again))
    const unknown = await checkout.pay({ orderId: 'A-102', benefitCode: 'NO-SUCH-CODE' })
    assert.equal(unknown.ok ? 'ok' : [unknown.code, unknown.retryable], ['BENEFIT_NOT_FOUND', false])
    assert.is(idempotencyKeyOf('A 100/x'), 'checkout-order-A_100_x')
    assert.is((await stack.db.selectFrom('redemptions').select('id').execute()).length, 1)
  } finally {
    for (const child of children) child.kill()
    await stack.stop()
  }
})

test('isv-extension: run.ts syncs its pooled template, issues pool codes, and its hook prints the syncUsedBenefit', async () => {
  const keys = testDevKeys()
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-ext-'))
  const sandbox = createSandbox({
    clientId: keys.clientId,
    platformPrivateKey: keys.platform.privateKey,
    isvPublicKeys: { '1': keys.isv.publicKey },
    reviewDelayMs: 50,
    autoRelease: true,
    notifyRetryScheduleMs: [100, 200],
  })
  await sandbox.start()
  const db = join(dir, 'ext.db')
  const child = runTs('examples/isv-extension/run.ts', ['--template', 'spice-e2e', '--codes', '5'], {
    BENEFITKIT_PORT: '0',
    BENEFITKIT_DB: db,
    BENEFITKIT_CLIENT_ID: keys.clientId,
    BENEFITKIT_PRIVATE_KEY: keys.isv.privateKey,
    BENEFITKIT_PLATFORM_URL: sandbox.url,
    BENEFITKIT_PLATFORM_PUBLIC_KEY: keys.platform.publicKey,
    BENEFITKIT_DB_SYNCHRONOUS: 'NORMAL',
    BENEFITKIT_LOG_LEVEL: 'warn',
  })
  try {
    const created = await child.waitForLine(/^template spice-e2e created with 5 pool codes/)
    const codes = voucherCodes({ prefix: 'SPICE' })
    assert.ok(codes.isValid(/\(e\.g\. (\S+)\)/.exec(created)![1]!), created)
    const listening = await child.waitForLine(/listening on http/)
    const url = /listening on (\S+)/.exec(listening)![1]!
    sandbox.setIsvBaseUrl(url)

    // The syncBenefit went out before the sandbox knew where the connector is; the notify is retried until it does.
    await sandbox.waitFor((s) => s.syncs.find((x) => x.benefitTemplateId === 'spice-e2e')?.notify?.state === 'ACKNOWLEDGED', { timeoutMs: 10_000 })
    const collect = await sandbox.collect({ userId: 'diner-1', templateId: 'spice-e2e', quantity: 2 })
    assert.is(collect.outcome, 'ISSUED', `${collect.code}: ${collect.message}`)
    for (const detail of collect.benefitDetails) assert.ok(codes.isValid(detail.benefitCode!), `${detail.benefitCode} is not a pool code`)
    const sync = sandbox.state.syncs.find((s) => s.benefitTemplateId === 'spice-e2e')!
    assert.equal(sync.request.benefitContent.amount, { currency: 'HKD', value: '2500' })
    assert.is(sync.request.benefitBudget.totalQuantity, 5)

    // An API key, written into the running connector's database by another process (as the CLI does).
    const opened = openDatabase(db)
    const key = await createApiKey(opened.db, { name: 'ext-test' })
    await opened.close()
    const sdk = createRedemptionClient({ baseUrl: url, auth: { apiKey: key.secret }, transport: fetchTransport() })
    const code = collect.benefitDetails[0]!.benefitCode!
    const redeemed = await sdk.redeem({ benefitCode: code, orderId: 'table-7', usedAmount: { currency: 'HKD', value: '18800' } })

    const hook = await child.waitForLine(/^used-benefit hook: delivered /, 15_000)
    assert.ok(hook.includes(`user diner-1 used ${redeemed.instance.benefitInstanceId} (spice-e2e code ****${code.slice(-4)})`), hook)
    assert.ok(hook.includes('order HKD 188.00'), hook)
    const used = sandbox.state.usedSyncs[0]!
    assert.is(used.request.benefitInstanceId, redeemed.instance.benefitInstanceId)
    const audit = auditUsedBenefitBody(used.bodies[0]!)
    assert.ok(audit.valid)
    assert.equal(auditUsedBenefitBody('{"userId":"x"}').valid, false)

    child.process.kill('SIGINT')
    assert.is(await exitOf(child, 20_000), 0, child.stderr())
    assert.ok(child.lines.includes('stopped'), child.lines.join('\n'))
  } finally {
    child.kill()
    await sandbox.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

/* ----------------------------------------------------- mini-program pages */

interface CapturedPage {
  data: Record<string, unknown>
  onLoad(query: Record<string, string>): void
  onShow(): Promise<void>
  onPay(): Promise<void>
}

/** A page instance as the mini-program runtime makes one: `data` and `setData`, handlers called with it as `this`. */
function instantiate(options: CapturedPage) {
  const page = {
    data: structuredClone(options.data),
    setData(patch: Record<string, unknown>) {
      Object.assign(this.data, patch)
    },
  }
  return {
    page,
    onLoad: (query: Record<string, string>) => options.onLoad.call(page, query),
    onShow: () => options.onShow.call(page),
    onPay: () => options.onPay.call(page),
  }
}

/**
 * Loads a page file with fake `my`/`wx` and `Page` globals. The fake request
 * routes the page's configured hosts to this test: the connector for
 * benefits.example.com, a token minted with an API key for the shop's server.
 */
async function loadPage(file: string, global: 'my' | 'wx', request: (options: any) => void): Promise<CapturedPage> {
  let captured: CapturedPage | undefined
  const g = globalThis as Record<string, unknown>
  g[global] = { request, showLoading() {}, hideLoading() {}, showToast() {} }
  g.Page = (options: CapturedPage) => {
    captured = options
  }
  try {
    await import(file)
  } finally {
    delete g.Page
  }
  if (!captured) throw new Error(`${file} did not call Page()`)
  return captured
}

async function pagesEnv() {
  const stack = await startTestStack()
  await ensureTemplate(stack.connector, templateFile({ id: 'page-demo' }))
  await waitForTemplateState(stack.db, 'page-demo', ['SYNCED'], { timeoutMs: 5_000 })
  await stack.sandbox.waitFor((s) => s.templates.find((t) => t.benefitTemplateId === 'page-demo')?.syncStatus === 'SUCCESS')
  stack.sandbox.release('page-demo')
  const key = await createApiKey(stack.db, { name: 'shop-server' })
  const shop = createRedemptionClient({ baseUrl: stack.connectorUrl, auth: { apiKey: key.secret }, transport: fetchTransport() })
  const state = { userId: 'shopper-1', tokensMinted: 0 }
  /** What the fake runtime answers: the connector's answer, or the shop server's token. */
  const route = async (url: string, method: string, headers: Record<string, string>, body: unknown) => {
    if (url === 'https://shop.example.com/api/benefitkit-token') {
      state.tokensMinted++
      const { token } = await shop.createUserToken({ userId: state.userId })
      return { status: 200, headers: { 'content-type': 'application/json' }, json: { token }, text: JSON.stringify({ token }) }
    }
    const target = url.replace('https://benefits.example.com', stack.connectorUrl)
    const res = await fetch(target, { method, headers, body: typeof body === 'string' ? body : undefined })
    return { status: res.status, headers: Object.fromEntries(res.headers), json: undefined, text: await res.text() }
  }
  return { stack, state, route }
}

test('alipay-miniprogram page: a user token from the shop server, lookup on show, redeem on pay, a used voucher refused', async () => {
  const { stack, state, route } = await pagesEnv()
  try {
    // my.request as Alipay runs it: `headers`, non-2xx answers through `fail` with error 19.
    const page = await loadPage('../examples/alipay-miniprogram/pages/checkout/checkout.js', 'my', (o) => {
      route(o.url, o.method ?? 'GET', o.headers ?? {}, o.data).then(
        (r) => {
          const data = o.dataType === 'json' ? (r.json ?? JSON.parse(r.text)) : r.text
          if (r.status >= 200 && r.status < 300) o.success?.({ status: r.status, headers: r.headers, data })
          else o.fail?.({ error: 19, errorMessage: 'http status error', status: r.status, headers: r.headers, data })
        },
        () => o.fail?.({ error: 12, errorMessage: 'network error' }),
      )
    })
    const collect = await stack.sandbox.collect({ userId: 'shopper-1', templateId: 'page-demo' })
    const code = collect.benefitDetails[0]!.benefitCode!

    const first = instantiate(page)
    first.onLoad({ orderId: 'M-1', benefitCode: code })
    await first.onShow()
    assert.is(first.page.data.discount, 'HKD 10.00')
    assert.is(first.page.data.redeemable, true)
    await first.onPay()
    assert.is(first.page.data.status, 'paid', String(first.page.data.message))
    assert.match(String(first.page.data.redemptionId), /^rd_/)
    assert.is(state.tokensMinted, 1)
    const [row] = await stack.db.selectFrom('redemptions').select(['order_id', 'user_id', 'api_key_id']).execute()
    assert.equal([row!.order_id, row!.user_id], ['M-1', 'shopper-1'])

    const second = instantiate(page)
    second.onLoad({ orderId: 'M-2', benefitCode: code })
    await second.onPay()
    assert.is(second.page.data.status, 'failed')
    assert.match(String(second.page.data.message), /Already used/)

    // Another user's voucher: the token only sees its own user's vouchers.
    const other = await stack.sandbox.collect({ userId: 'shopper-2', templateId: 'page-demo' })
    const third = instantiate(page)
    third.onLoad({ orderId: 'M-3', benefitCode: other.benefitDetails[0]!.benefitCode! })
    await third.onPay()
    assert.is(third.page.data.status, 'failed')
    assert.match(String(third.page.data.message), /Not your voucher/)
  } finally {
    delete (globalThis as Record<string, unknown>).my
    await stack.stop()
  }
})

test('wechat-miniprogram page: the same checkout on wx.request', async () => {
  const { stack, route } = await pagesEnv()
  try {
    // wx.request as WeChat runs it: `header`, every HTTP answer through `success` with statusCode.
    const page = await loadPage('../examples/wechat-miniprogram/pages/checkout/checkout.js', 'wx', (o) => {
      route(o.url, o.method ?? 'GET', o.header ?? {}, o.data).then(
        (r) => o.success?.({ statusCode: r.status, header: r.headers, data: o.dataType === undefined || o.dataType === 'json' ? (r.json ?? JSON.parse(r.text)) : r.text }),
        () => o.fail?.({ errMsg: 'request:fail' }),
      )
    })
    const collect = await stack.sandbox.collect({ userId: 'shopper-1', templateId: 'page-demo' })
    const code = collect.benefitDetails[0]!.benefitCode!
    const first = instantiate(page)
    first.onLoad({ orderId: 'W-1', benefitCode: code })
    await first.onShow()
    assert.is(first.page.data.discount, 'HKD 10.00')
    await first.onPay()
    assert.is(first.page.data.status, 'paid', String(first.page.data.message))
    // Paying the same order again (a second tap, a retry) replays: still one redemption.
    const retry = instantiate(page)
    retry.onLoad({ orderId: 'W-1', benefitCode: code })
    await retry.onPay()
    assert.is(retry.page.data.status, 'paid')
    assert.is(retry.page.data.redemptionId, first.page.data.redemptionId)
    assert.is((await stack.db.selectFrom('redemptions').select('id').execute()).length, 1)
  } finally {
    delete (globalThis as Record<string, unknown>).wx
    await stack.stop()
  }
})

test.run()
