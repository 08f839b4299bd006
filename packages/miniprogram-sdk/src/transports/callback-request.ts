/**
 * What the `my.request` and `wx.request` adapters share: turning a success/fail callback API into
 * a promise that settles once, a guard timer in case the native `timeout` never fires, and the
 * normalisation of headers and bodies.
 */
import { TransportError, type TransportResponse } from '../transport.js'

/**
 * The guard fires this long after the native timeout should have. The native timeout normally
 * wins and reports its own error; the guard only covers runtimes that ignore `timeout`.
 */
const GUARD_GRACE_MS = 500

export interface Settle {
  resolve(response: TransportResponse): void
  reject(error: TransportError): void
}

export function callbackRequest(timeoutMs: number, start: (settle: Settle) => unknown): Promise<TransportResponse> {
  return new Promise((resolve, reject) => {
    let settled = false
    let task: unknown
    const once = (fn: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(guard)
      fn()
    }
    const guard = setTimeout(() => {
      once(() => reject(new TransportError('timeout', `no answer within ${timeoutMs} ms`)))
      const abort = (task as { abort?: unknown } | undefined)?.abort
      if (typeof abort === 'function') abort.call(task)
    }, timeoutMs + GUARD_GRACE_MS)

    try {
      task = start({
        resolve: (response) => once(() => resolve(response)),
        reject: (error) => once(() => reject(error)),
      })
    } catch (cause) {
      once(() => reject(new TransportError('network', `request could not start: ${String(cause)}`, { cause })))
    }
    // Newer runtimes also return a promise that rejects when `fail` runs; we listen to the callbacks.
    const pending = task as { catch?: unknown } | undefined
    if (pending && typeof pending.catch === 'function') pending.catch(() => {})
  })
}

/** Header names in lower case; mini-program runtimes keep whatever case the server sent. */
export function lowerCaseHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (typeof headers === 'object' && headers !== null) {
    for (const [key, value] of Object.entries(headers)) {
      if (value !== undefined && value !== null) out[key.toLowerCase()] = String(value)
    }
  }
  return out
}

/** The raw body. A runtime that parsed JSON despite being asked not to gets it re-serialised. */
export function bodyText(data: unknown): string {
  if (typeof data === 'string') return data
  if (data === undefined || data === null) return ''
  return JSON.stringify(data)
}
