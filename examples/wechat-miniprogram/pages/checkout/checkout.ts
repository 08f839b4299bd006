/**
 * A WeChat mini-program checkout page that redeems a voucher at payment.
 *
 * - Requests go through `wx.request` with `wechatTransport(wx)`.
 * - No secret ships in the mini program: the page asks *your* server for a
 *   short-lived user token (the route in ../../../alipay-miniprogram/server/user-token.ts
 *   works for WeChat too; your session knows the user from wx.login), and the SDK
 *   sends it as `Authorization: Bearer`. When it expires the SDK asks again.
 * - One idempotency key per order (`order-<orderId>`): a retry after a timeout,
 *   or a second tap, can never redeem twice.
 *
 * In a real project: install the SDK, run 工具 → 构建 npm, and import it as below
 * (the package's `miniprogram` field points devtools at its CommonJS build). The
 * `wx` and `Page` globals are declared below by the shape this page uses, so the
 * example needs no `miniprogram-api-typings` to type-check.
 */
import { createRedemptionClient, isBenefitKitError, type BenefitKitError } from '@benefitkit/miniprogram-sdk'
import { wechatTransport } from '@benefitkit/miniprogram-sdk/wechat'

/* ----------------------------------------------- the globals, structurally */

interface WxRequestOptions {
  url: string
  method?: 'GET' | 'POST'
  header?: Record<string, string>
  data?: unknown
  dataType?: string
  responseType?: 'text' | 'arraybuffer'
  timeout?: number
  success?: (res: { statusCode: number; header?: Record<string, string>; data?: unknown; errMsg?: string }) => void
  fail?: (err: { errMsg: string; errno?: number }) => void
}

interface Wx {
  request(options: WxRequestOptions): unknown
  showLoading(options: { title: string; mask?: boolean }): void
  hideLoading(): void
  showToast(options: { title: string; icon?: 'success' | 'error' | 'loading' | 'none'; duration?: number }): void
}

interface PageInstance<D> {
  data: D
  setData(patch: Partial<D>): void
}

interface PageOptions<D> {
  data: D
  onLoad?(this: PageInstance<D>, query: Record<string, string | undefined>): void
  onShow?(this: PageInstance<D>): void
  [handler: string]: unknown
}

declare const wx: Wx
declare function Page<D>(options: PageOptions<D> & ThisType<PageInstance<D>>): void

/* ---------------------------------------------------------- configuration */

/** Your connector (add it to request 合法域名). */
const BENEFITKIT_URL = 'https://benefits.example.com'
/** Your own server: it knows the signed-in user and holds the API key. */
const SHOP_SERVER = 'https://shop.example.com'

/* ----------------------------------------------------------------- client */

function fetchUserToken(): Promise<string> {
  return new Promise((resolve, reject) => {
    wx.request({
      url: `${SHOP_SERVER}/api/benefitkit-token`,
      method: 'POST',
      success: (res) => {
        const token = (res.data as { token?: unknown } | undefined)?.token
        if (res.statusCode === 200 && typeof token === 'string') resolve(token)
        else reject(new Error(`token endpoint answered HTTP ${res.statusCode}`))
      },
      fail: (err) => reject(new Error(err.errMsg)),
    })
  })
}

const client = createRedemptionClient({
  baseUrl: BENEFITKIT_URL,
  transport: wechatTransport(wx),
  auth: { getToken: fetchUserToken },
  retry: { deadlineMs: 10_000 },
})

function messageOf(error: BenefitKitError): string {
  switch (error.code) {
    case 'BENEFIT_NOT_FOUND':
      return '券码不存在'
    case 'BENEFIT_ALREADY_USED':
      return '券已使用'
    case 'BENEFIT_EXPIRED':
      return '券已过期'
    case 'BENEFIT_NOT_YET_VALID':
      return '券尚未生效'
    case 'BENEFIT_REVERSED':
      return '券已撤销'
    case 'PIN_MISMATCH':
      return '密码错误'
    case 'FORBIDDEN':
    case 'USER_MISMATCH':
      return '此券不属于当前账户'
    case 'TOKEN_UNAVAILABLE':
      return '请重新登录'
    default:
      return error.retryable ? '网络不稳定，请重试' : `无法使用 (${error.code})`
  }
}

function minor(amount: { currency: string; value: string } | undefined): string {
  if (!amount) return ''
  const v = amount.value.padStart(3, '0')
  return `${amount.currency} ${v.slice(0, -2)}.${v.slice(-2)}`
}

/* ------------------------------------------------------------------- page */

interface CheckoutData {
  orderId: string
  benefitCode: string
  pin: string
  discount: string
  redeemable: boolean
  pinRequired: boolean
  status: 'idle' | 'paying' | 'paid' | 'failed' | 'retry'
  message: string
  redemptionId: string
}

Page<CheckoutData>({
  data: {
    orderId: '',
    benefitCode: '',
    pin: '',
    discount: '',
    redeemable: false,
    pinRequired: false,
    status: 'idle',
    message: '',
    redemptionId: '',
  },

  onLoad(query) {
    this.setData({ orderId: query.orderId ?? '', benefitCode: query.benefitCode ?? '' })
  },

  async onShow() {
    if (!this.data.benefitCode) return
    try {
      const { instance, redeemable, reason, pinRequired } = await client.lookup({ benefitCode: this.data.benefitCode })
      this.setData({ discount: minor(instance.amount), redeemable, pinRequired, message: reason ?? '' })
    } catch (e) {
      this.setData({ redeemable: false, message: isBenefitKitError(e) ? messageOf(e) : String(e) })
    }
  },

  onPinInput(event: { detail: { value: string } }) {
    this.setData({ pin: event.detail.value })
  },

  async onPay() {
    if (this.data.status === 'paying' || this.data.status === 'paid') return
    this.setData({ status: 'paying', message: '' })
    wx.showLoading({ title: '核销中…', mask: true })
    try {
      const { redemption, replayed } = await client.redeem(
        {
          benefitCode: this.data.benefitCode,
          orderId: this.data.orderId,
          ...(this.data.pinRequired ? { benefitPin: this.data.pin } : {}),
        },
        { idempotencyKey: `order-${this.data.orderId}` },
      )
      this.setData({ status: 'paid', redemptionId: redemption.redemptionId, message: replayed ? 'already redeemed' : '' })
      wx.showToast({ title: '已核销', icon: 'success' })
    } catch (e) {
      if (!isBenefitKitError(e)) throw e
      this.setData({ status: e.retryable ? 'retry' : 'failed', message: messageOf(e) })
      wx.showToast({ title: messageOf(e), icon: 'none' })
    } finally {
      wx.hideLoading()
    }
  },
})
