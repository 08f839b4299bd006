/**
 * Transport over WHATWG `fetch` (Node ≥ 20, browsers, Deno, Bun, workers), with the per-attempt
 * timeout enforced by an `AbortController`.
 */
import { TransportError, type Transport, type TransportResponse } from '../transport.js'

/** The subset of `fetch` this adapter uses; declared here so no DOM typings are needed. */
export type FetchLike = (
  url: string,
  // `any`: every runtime types its AbortSignal differently, and `fetch` itself must fit here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  init: { method: string; headers: Record<string, string>; body?: string; signal?: any },
) => Promise<FetchResponseLike>

export interface FetchResponseLike {
  status: number
  headers: { forEach(callback: (value: string, key: string) => void): void }
  text(): Promise<string>
}

export function fetchTransport(fetchImpl?: FetchLike): Transport {
  // Wrapped rather than stored: some browsers throw "Illegal invocation" for a detached fetch.
  const doFetch: FetchLike | undefined =
    fetchImpl ?? (typeof fetch === 'function' ? (url, init) => fetch(url, init as RequestInit) as Promise<FetchResponseLike> : undefined)
  if (typeof doFetch !== 'function') throw new TypeError('no global fetch here: pass one, fetchTransport(myFetch)')

  return (req) =>
    new Promise<TransportResponse>((resolve, reject) => {
      const controller = typeof AbortController === 'function' ? new AbortController() : undefined
      let settled = false
      const once = (fn: () => void): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        fn()
      }
      const timer = setTimeout(() => {
        once(() => reject(new TransportError('timeout', `no answer within ${req.timeoutMs} ms`)))
        controller?.abort()
      }, req.timeoutMs)

      const run = async (): Promise<TransportResponse> => {
        const res = await doFetch(req.url, {
          method: req.method,
          headers: req.headers,
          body: req.method === 'GET' ? undefined : req.body,
          signal: controller?.signal,
        })
        const headers: Record<string, string> = {}
        res.headers.forEach((value, key) => {
          headers[key.toLowerCase()] = value
        })
        // Reading the body stays under the same timer: a stalled body is a timeout too.
        return { status: res.status, headers, body: await res.text() }
      }
      run().then(
        (response) => once(() => resolve(response)),
        (cause: unknown) => {
          const aborted = (cause as { name?: unknown } | null)?.name === 'AbortError'
          const detail = (cause as { cause?: { message?: unknown } } | null)?.cause?.message
          // undici hides the useful part ("connect ECONNREFUSED …") in `cause.cause`.
          const message = `${cause instanceof Error ? cause.message : String(cause)}${detail ? `: ${String(detail)}` : ''}`
          once(() => reject(new TransportError(aborted ? 'aborted' : 'network', message, { cause })))
        },
      )
    })
}
