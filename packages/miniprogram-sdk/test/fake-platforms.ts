/**
 * Fakes of `my.request` (Alipay) and `wx.request` (WeChat) that behave as their documentation
 * and typings say (style.md §2.2), in front of the fake redemption API. They only read the option
 * names the real runtimes read, so an adapter that sends `header` to Alipay 2.x or `headers` to
 * WeChat loses its Authorization, exactly as on a phone.
 */
import type { FakeRedemptionApi, FakeResponse } from './fake-api.js'

type Callback = (value: never) => void
interface Options {
  url: string
  method?: string
  data?: unknown
  timeout?: number
  dataType?: string
  responseType?: string
  headers?: Record<string, string>
  header?: Record<string, string>
  success?: Callback
  fail?: Callback
}

function split(url: string): { origin: string; path: string } {
  const m = /^(https?:\/\/[^/]+)(.*)$/.exec(url)
  return { origin: m?.[1] ?? '', path: m?.[2] || '/' }
}

function lower(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v
  return out
}

/** What the runtime does with the body for a given dataType: only 'json' (the default) parses. */
function decode(body: string, dataType: string | undefined): { ok: true; data: unknown } | { ok: false } {
  if ((dataType ?? 'json') !== 'json') return { ok: true, data: body }
  try {
    return { ok: true, data: JSON.parse(body) }
  } catch {
    return { ok: false }
  }
}

export interface FakeMyOptions {
  /** 3.x adds `statusCode`/`header` aliases and returns a promise that rejects on failure. */
  version?: 2 | 3
  /** Parse JSON whatever dataType says (seen on some IDE versions). */
  alwaysParseJson?: boolean
  /** Never call back: a runtime that ignores `timeout`. */
  silent?: boolean
}

export interface FakeMy {
  request(options: Options): unknown
  calls: Options[]
  aborted: number
}

/**
 * `my.request`: headers from `headers` (3.x also reads `header`), 2xx → `success({ status, headers, data })`,
 * non-2xx → `fail({ error: 19, errorMessage: 'http status error', status, headers, data })`,
 * no answer → `fail({ error: 13 })` after `timeout` ms, dropped connection → `fail({ error: 12 })`,
 * undecodable JSON → `fail({ error: 14 })`.
 */
export function fakeMy(api: FakeRedemptionApi, options: FakeMyOptions = {}): FakeMy {
  const version = options.version ?? 2
  const my: FakeMy = {
    calls: [],
    aborted: 0,
    request(o) {
      my.calls.push(o)
      let done = false
      let rejectPromise: ((e: unknown) => void) | undefined
      const success = (res: object) => {
        if (done) return
        done = true
        ;(o.success as ((r: object) => void) | undefined)?.(res)
      }
      const fail = (err: object) => {
        if (done) return
        done = true
        ;(o.fail as ((e: object) => void) | undefined)?.(err)
        rejectPromise?.(err)
      }
      const withAliases = (status: number, headers: Record<string, string>) =>
        version === 3 ? { status, headers, statusCode: status, header: headers } : { status, headers }

      setTimeout(() => {
        if (options.silent) return
        const { path } = split(o.url)
        const headers = lower(version === 3 ? { ...o.header, ...o.headers } : o.headers)
        const outcome = api.handle({ method: o.method ?? 'GET', path, headers, body: typeof o.data === 'string' ? o.data : JSON.stringify(o.data) })
        if (outcome === 'hang' || outcome === 'stall-body') {
          setTimeout(() => fail({ error: 13, errorMessage: '请求超时' }), o.timeout ?? 30000)
          return
        }
        if (outcome === 'drop') return fail({ error: 12, errorMessage: '网络出错' })
        respond(outcome)
      }, 1)

      const respond = (res: FakeResponse) => {
        const decoded = decode(res.body, options.alwaysParseJson ? 'json' : o.dataType)
        if (!decoded.ok) return fail({ error: 14, errorMessage: '解码失败' })
        if (res.status >= 200 && res.status < 300) return success({ ...withAliases(res.status, res.headers), data: decoded.data })
        fail({ error: 19, errorMessage: 'http status error', ...withAliases(res.status, res.headers), data: decoded.data })
      }

      const task = {
        abort() {
          my.aborted++
          fail({ error: 9, errorMessage: 'abort' })
        },
      }
      if (version === 2) return task
      const promise = new Promise((_resolve, reject) => {
        rejectPromise = reject
      })
      return Object.assign(promise, task)
    },
  }
  return my
}

export interface FakeWxOptions {
  /** Parse JSON whatever dataType says (older base libraries). */
  alwaysParseJson?: boolean
  /** Domains in the mini program's allow-list; others fail with 'url not in domain list'. */
  domains?: string[]
}

export interface FakeWx {
  request(options: Options): unknown
  calls: Options[]
  /** The RequestTasks handed out, so a test can `abort()` one as a closing page would. */
  tasks: { abort(): void }[]
}

/**
 * `wx.request`: headers from `header`; every HTTP answer, 4xx/5xx included, goes to
 * `success({ statusCode, header, data, errMsg: 'request:ok' })`; failures are
 * `fail({ errMsg: 'request:fail timeout' | 'request:fail abort' | … })`.
 */
export function fakeWx(api: FakeRedemptionApi, options: FakeWxOptions = {}): FakeWx {
  const wx: FakeWx = {
    calls: [],
    tasks: [],
    request(o) {
      wx.calls.push(o)
      let done = false
      const finish = (cb: Callback | undefined, value: object) => {
        if (done) return
        done = true
        ;(cb as ((v: object) => void) | undefined)?.(value)
      }
      setTimeout(() => {
        const { origin, path } = split(o.url)
        if (options.domains && !options.domains.includes(origin)) {
          return finish(o.fail, { errMsg: 'request:fail url not in domain list', errno: 600002 })
        }
        const body = typeof o.data === 'string' ? o.data : JSON.stringify(o.data)
        const outcome = api.handle({ method: o.method ?? 'GET', path, headers: lower(o.header), body })
        if (outcome === 'hang' || outcome === 'stall-body') {
          setTimeout(() => finish(o.fail, { errMsg: 'request:fail timeout', errno: 5 }), o.timeout ?? 60000)
          return
        }
        if (outcome === 'drop') {
          return finish(o.fail, { errMsg: 'request:fail errcode:-101 cronet_error_code:-101 error_msg:net::ERR_CONNECTION_RESET' })
        }
        const decoded = decode(outcome.body, options.alwaysParseJson ? 'json' : o.dataType)
        finish(o.success, {
          statusCode: outcome.status,
          header: outcome.headers,
          data: decoded.ok ? decoded.data : outcome.body,
          errMsg: 'request:ok',
        })
      }, 1)
      const task = { abort: () => finish(o.fail, { errMsg: 'request:fail abort' }) }
      wx.tasks.push(task)
      return task
    },
  }
  return wx
}
