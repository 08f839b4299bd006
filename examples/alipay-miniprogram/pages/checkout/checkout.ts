/**
 * An Alipay mini-program checkout page that redeems a voucher at payment.
 *
 * - Requests go through `my.request` with `alipayTransport(my)`.
 * - No secret ships in the mini program: the page asks *your* server for a
 *   short-lived user token (see ../../server/user-token.ts), and the SDK sends it
 *   as `Authorization: Bearer`. A token only sees its own user's vouchers. When
 *   it expires the SDK asks `getToken` again and repeats the request.
 * - One idempotency key per order (`order-<orderId>`): a retry after a timeout,
 *   or a second tap, can never redeem twice.
 *
 * Compile with your mini program's TypeScript setup (or strip the types); the
 * `my` and `Page` globals are declared below by the shape this page uses, so the
 * example needs no `@mini-types/alipay` to type-check.
 */
import { createRedemptionClient, isBenefitKitError, type BenefitKitError } from '@benefitkit/miniprogram-sdk'
import { alipayTransport } from '@benefitkit/miniprogram-sdk/alipay'

/* ----------------------------------------------- the globals, structurally */

interface MyRequestOptions {
  url: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  data?: unknown
  dataType?: 'json' | 'text' | 'base64'
  timeout?: number
  success?: (res: { status?: number; statusCode?: number; headers?: Record<string, string>; header?: Record<string, string>; data?: unknown }) => void
  fail?: (err: { error?: number; errorMessage?: string; status?: number; statusCode?: number; data?: unknown }) => void
}

interface My {
  request(options: MyRequestOptions): unknown
  showLoading(options?: { content?: string }): void
  hideLoading(): void
  showToast(options: { content: string; type?: 'success' | 'fail' | 'exception' | 'none'; duration?: number }): void
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

declare const my: My
declare function Page<D>(options: PageOptions<D> & ThisType<PageInstance<D>>): void

/* ---------------------------------------------------------- configuration */

/** Your connector, reachable from the phone (add it to 服务器域名白名单). */
const BENEFITKIT_URL = 'https://benefits.example.com'
/** Your own server: it knows the signed-in user and holds the API key. */
const SHOP_SERVER = 'https://shop.example.com'

/* ----------------------------------------------------------------- client */

/** Asks the shop's server for a user token (its session knows who the user is). */
function fetchUserToken(): Promise<string> {
  return new Promise((resolve, reject) => {
    my.request({
      url: `${SHOP_SERVER}/api/benefitkit-token`,
      method: 'POST',
      dataType: 'json',
      success: (res) => {
        const token = (res.data as { token?: unknown } | undefined)?.token
        if (typeof token === 'string') resolve(token)
        else reject(new Error(`token endpoint answered ${res.status ?? res.statusCode ?? '?'} without a token`))
      },
      fail: (err) => reject(new Error(`token request failed: ${err.error ?? '?'} ${err.errorMessage ?? ''}`)),
    })
  })
}

const client = createRedemptionClient({
  baseUrl: BENEFITKIT_URL,
  transport: alipayTransport(my),
  auth: { getToken: fetchUserToken },
  // A shopper waits at most 10 s; the SDK retries within that.
  retry: { deadlineMs: 10_000 },
})

/** What the shopper reads for each error code. */
function messageOf(error: BenefitKitError): string {
  switch (error.code) {
    case 'BENEFIT_NOT_FOUND':
      return '券码不存在 / Voucher not found'
    case 'BENEFIT_ALREADY_USED':
      return '券已使用 / Already used'
    case 'BENEFIT_EXPIRED':
      return '券已过期 / Expired'
    case 'BENEFIT_NOT_YET_VALID':
      return '券尚未生效 / Not valid yet'
    case 'BENEFIT_REVERSED':
      return '券已撤销 / Withdrawn'
    case 'PIN_MISMATCH':
      return '密码错误 / Wrong PIN'
    case 'FORBIDDEN':
    case 'USER_MISMATCH':
      return '此券不属于当前账户 / Not your voucher'
    case 'TOKEN_UNAVAILABLE':
      return '请重新登录 / Please sign in again'
    default:
      return error.retryable ? '网络不稳定，请重试 / Network problem, try again' : `无法使用 (${error.code})`
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
  /** idle → paying → paid | failed; `retry` when the outcome is unknown. */
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

  /** Shows what the voucher is worth before paying. Lookup changes nothing. */
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

  /** Pay (and retry) the order: the same order always sends the same idempotency key. */
  async onPay() {
    if (this.data.status === 'paying' || this.data.status === 'paid') return
    this.setData({ status: 'paying', message: '' })
    my.showLoading({ content: '核销中… / Redeeming…' })
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
      my.showToast({ content: '已核销 / Redeemed', type: 'success' })
    } catch (e) {
      if (!isBenefitKitError(e)) throw e
      // Retryable: the redemption may or may not have happened; paying again is safe.
      this.setData({ status: e.retryable ? 'retry' : 'failed', message: messageOf(e) })
      my.showToast({ content: messageOf(e), type: 'fail' })
    } finally {
      my.hideLoading()
    }
  },
})
