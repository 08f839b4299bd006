/**
 * The platform's calls to the ISV (notifyBenefitSync, issueBenefit,
 * inquireBenefitIssue, reverseBenefitIssue): signed with the platform's key,
 * the answer verified with the ISV's keyring and turned into S / F / U. Every
 * transport problem (timeout, refused connection, non-200, unsigned or
 * malformed answer) is U, so the flows retry or inquire and never guess.
 */
import {
  benefitApis,
  classifyAnswer,
  formatIssues,
  type IsvApiName,
} from '@benefitkit/shared'
import { signRequest, verifyResponse } from '@benefitkit/shared/signing'
import type { CallLog } from './call-log.js'
import type { EventHub } from './events.js'
import { describeFault, type FaultBoard } from './faults.js'
import type { ResolvedOptions } from './options.js'
import type { ResultStatus } from './state.js'
import { isAbortError, type Scheduler } from './timers.js'

export interface OutboundAttempt {
  api: IsvApiName
  /** 1 = the first attempt of this call within its flow. */
  attempt: number
  /** When the attempt started, ISO 8601 UTC. */
  at: string
  durationMs: number
  /** Absent when no HTTP answer arrived (timeout, refused, lost by a fault). */
  httpStatus?: number
  status: ResultStatus
  /** The ISV's resultCode, or a local one: TIMEOUT, NETWORK_ERROR, HTTP_5xx, UNSIGNED_ANSWER, MALFORMED_ANSWER, NO_ISV_URL. */
  code: string
  message: string
  signatureValid: boolean
  fault?: string
}

export interface IsvAnswer extends OutboundAttempt {
  /** The parsed answer body when the ISV's answer was signed and schema-valid. */
  body?: Record<string, unknown>
}

export interface CallMeta {
  /** The id the call is about (for the call log). */
  id: string
  attempt: number
  /** Extra rules for a success; a message turns the S into U MALFORMED_ANSWER. */
  check?: (body: Record<string, unknown>) => string | undefined
}

export interface IsvClientDeps {
  options: ResolvedOptions
  isvBaseUrl: () => string | undefined
  faults: FaultBoard
  calls: CallLog
  events: EventHub
  scheduler: Scheduler
}

export class IsvClient {
  readonly #deps: IsvClientDeps

  constructor(deps: IsvClientDeps) {
    this.#deps = deps
  }

  /**
   * One attempt. `body` is the exact JSON text: callers build it once per
   * logical call so every retry sends the same bytes under the same id.
   * Rejects only with an AbortError when the sandbox is stopping.
   */
  async call(api: IsvApiName, body: string, meta: CallMeta): Promise<IsvAnswer> {
    const started = Date.now()
    const at = new Date(started).toISOString()
    let answer = await this.#attempt(api, body, meta.attempt, at, started)
    const problem = answer.status === 'S' && answer.body && meta.check ? meta.check(answer.body) : undefined
    if (problem !== undefined) {
      // A signed success that breaks the flow's rules (wrong instance count, …) cannot be trusted: unknown.
      const { body: _dropped, ...rest } = answer
      answer = { ...rest, status: 'U', code: 'MALFORMED_ANSWER', message: problem.slice(0, 256) }
    }
    const { calls, events } = this.#deps
    const call = calls.add({
      direction: 'outbound',
      api,
      path: this.#path(api),
      id: meta.id,
      at,
      durationMs: answer.durationMs,
      attempt: meta.attempt,
      status: answer.status,
      code: answer.code,
      message: answer.message,
      signatureValid: answer.signatureValid,
      ...(answer.httpStatus === undefined ? {} : { httpStatus: answer.httpStatus }),
      ...(answer.fault === undefined ? {} : { fault: answer.fault }),
    })
    events.emit({ type: 'call', call })
    return answer
  }

  #path(api: IsvApiName): string {
    const base = this.#deps.isvBaseUrl()
    const prefix = base === undefined ? '' : new URL(base).pathname.replace(/\/+$/, '')
    return prefix + benefitApis[api].path
  }

  async #attempt(api: IsvApiName, body: string, attempt: number, at: string, started: number): Promise<IsvAnswer> {
    const { options, faults, events, scheduler } = this.#deps
    const base = this.#deps.isvBaseUrl()
    const done = (rest: Omit<IsvAnswer, 'api' | 'attempt' | 'at' | 'durationMs'>): IsvAnswer => ({
      api,
      attempt,
      at,
      durationMs: Date.now() - started,
      ...rest,
    })
    if (base === undefined) {
      return done({ status: 'U', code: 'NO_ISV_URL', message: 'the sandbox does not know where the ISV answers (isvBaseUrl)', signatureValid: false })
    }

    const url = base + benefitApis[api].path
    const path = new URL(url).pathname + new URL(url).search
    const headers = signRequest({ path, clientId: options.clientId, body, key: options.signingKey })
    // Taken before sending so a fault set during the call applies to the next one.
    const fault = faults.take('outbound', api)
    if (fault) events.emit({ type: 'fault-fired', fault, api })

    // Captured now: stop() aborts this one even if the sandbox is restarted before fetch settles.
    const stopping = scheduler.signal
    if (stopping.aborted) throw abortErrorFrom(undefined)
    let response: Response
    let raw: Buffer
    try {
      response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([AbortSignal.timeout(options.requestTimeoutMs), stopping]),
      })
      raw = Buffer.from(await response.arrayBuffer())
    } catch (error) {
      if (stopping.aborted) throw abortErrorFrom(error)
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
      return done({
        status: 'U',
        code: timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
        message: timedOut ? `no answer within ${options.requestTimeoutMs} ms` : networkMessage(error),
        signatureValid: false,
        ...(fault ? { fault: describeFault(fault) } : {}),
      })
    }

    if (fault) {
      // The ISV got the call and acted on it; the platform never sees the answer.
      return done({ status: 'U', code: 'TIMEOUT', message: 'answer lost (injected fault)', signatureValid: false, fault: describeFault(fault) })
    }

    const signatureValid =
      response.status === 200 &&
      verifyResponse({ path, clientId: options.clientId, headers: response.headers, body: raw, keyring: options.isvKeyring })
    let parsed: unknown
    try {
      parsed = JSON.parse(raw.toString('utf8'))
    } catch {
      parsed = undefined
    }
    const outcome = classifyAnswer({ httpStatus: response.status, signatureValid, body: parsed })
    const base200 = { httpStatus: response.status, signatureValid }
    if (outcome.status === 'U' || outcome.status === 'F') {
      return done({ ...base200, status: outcome.status, code: outcome.code, message: outcome.message })
    }
    // A success that does not match the contract (e.g. no benefitDetails) cannot be trusted: unknown.
    const checked = benefitApis[api].answer.safeParse(parsed)
    if (!checked.success) {
      return done({ ...base200, status: 'U', code: 'MALFORMED_ANSWER', message: formatIssues(checked.error).slice(0, 256) })
    }
    return done({ ...base200, status: 'S', code: outcome.code, message: outcome.message, body: checked.data as Record<string, unknown> })
  }
}

function networkMessage(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined
  const text = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error))
  return `cannot reach the ISV: ${text}`.slice(0, 256)
}

function abortErrorFrom(error: unknown): Error {
  if (isAbortError(error)) return error as Error
  const abort = new Error('the sandbox is stopping', { cause: error })
  abort.name = 'AbortError'
  return abort
}
