/**
 * The platform's inbound side as one Koa middleware: every request to a
 * platform path goes through the same checks in the same order, and every
 * protocol answer (also a refusal) is signed.
 *
 *   outage → method → path → Content-Type → body size → Client-Id / freshness /
 *   signature → JSON → schema → injected fault → the API → injected fault on the answer
 *
 * Faults are taken only for requests that passed verification and the schema,
 * so "the next 2 calls of syncUsedBenefit" counts real calls, not rejects.
 */
import type { Context } from 'koa'
import {
  benefitApis,
  formatIssues,
  PLATFORM_API_NAMES,
  statusOfCode,
  type PlatformApiName,
} from '@benefitkit/shared'
import { headerValue, verifyRequest } from '@benefitkit/shared/signing'
import { BodyTooLargeError, readRawBody } from '../body.js'
import type { CallLog, CallRecord } from '../call-log.js'
import { describeFault, type FaultView } from '../faults.js'
import type { Scheduler } from '../timers.js'
import { resultBody, sendSigned } from './answer.js'
import type { HandlerResult, PlatformContext } from './context.js'
import { inquireBenefitSync } from './inquire-benefit-sync.js'
import { syncBenefit } from './sync-benefit.js'
import { syncUsedBenefit } from './sync-used-benefit.js'

const BODY_LIMIT_BYTES = 1024 * 1024

const API_BY_PATH: ReadonlyMap<string, PlatformApiName> = new Map(PLATFORM_API_NAMES.map((name) => [benefitApis[name].path, name]))

/** Each API's id field, for call records of requests the schema refused. */
const ID_FIELD: Record<PlatformApiName, string> = {
  syncBenefit: 'benefitSyncRequestId',
  inquireBenefitSync: 'benefitSyncRequestId',
  syncUsedBenefit: 'benefitUseRequestId',
}

type Handler = (ctx: PlatformContext, request: never) => HandlerResult
const HANDLERS: Record<PlatformApiName, Handler> = {
  syncBenefit: syncBenefit as Handler,
  inquireBenefitSync: inquireBenefitSync as Handler,
  syncUsedBenefit: syncUsedBenefit as Handler,
}

export interface PipelineDeps {
  platform: PlatformContext
  calls: CallLog
  scheduler: Scheduler
}

type Draft = Omit<CallRecord, 'seq' | 'from' | 'to' | 'durationMs' | 'status' | 'code' | 'message'>

export function platformApi(deps: PipelineDeps) {
  const { platform, calls, scheduler } = deps
  const { options, faults, events } = platform

  return async function platformApiMiddleware(ctx: Context): Promise<void> {
    const started = Date.now()
    const api = API_BY_PATH.get(ctx.path)
    const draft: Draft = { direction: 'inbound', api: api ?? 'unknown', path: ctx.url, at: new Date(started).toISOString(), attempt: 1 }
    const clientId = headerValue(ctx.headers, 'Client-Id') || options.clientId
    const key = options.signingKey

    const finish = (outcome: { code: string; message: string; httpStatus?: number; status?: 'S' | 'F' | 'U' }, extra: Partial<Draft> = {}): void => {
      const httpStatus = outcome.httpStatus
      const call = calls.add({
        ...draft,
        ...extra,
        durationMs: Date.now() - started,
        status: outcome.status ?? statusOfCode(outcome.code),
        code: outcome.code,
        message: outcome.message,
        ...(httpStatus === undefined ? {} : { httpStatus }),
      })
      events.emit({ type: 'call', call })
    }
    const refuse = (code: string, message: string, extra: Partial<Draft> = {}): void => {
      sendSigned(ctx, resultBody(code, message), { key, clientId })
      finish({ code, message, httpStatus: 200 }, extra)
    }

    if (faults.outage) {
      ctx.status = 503
      ctx.set('Retry-After', '1')
      ctx.body = { error: 'the platform is unavailable (sandbox outage switch)' }
      finish({ code: 'HTTP_503', message: 'outage', httpStatus: 503, status: 'U' }, { fault: 'outage' })
      return
    }
    if (ctx.method !== 'POST') return refuse('METHOD_NOT_SUPPORTED', `${ctx.method} is not supported; use POST`)
    if (!api) return refuse('INVALID_API', `no platform API at ${ctx.path}`)
    const contentType = ctx.get('Content-Type')
    if (contentType && !/^application\/json\b/i.test(contentType.trim())) {
      return refuse('MEDIA_TYPE_NOT_ACCEPTABLE', `Content-Type ${contentType.slice(0, 64)} is not accepted; send application/json`)
    }

    let raw: Buffer
    try {
      raw = await readRawBody(ctx.req, BODY_LIMIT_BYTES)
    } catch (error) {
      if (error instanceof BodyTooLargeError) return refuse('PARAM_ILLEGAL', error.message)
      throw error
    }

    const check = verifyRequest({
      method: ctx.method,
      path: ctx.url,
      headers: ctx.headers,
      body: raw,
      keyring: options.isvKeyring,
      expectedClientId: options.clientId,
      maxSkewMs: options.maxSkewMs,
    })
    if (!check.ok) return refuse(check.code, check.message)

    const text = raw.toString('utf8')
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return refuse('MEDIA_TYPE_NOT_ACCEPTABLE', 'the body is not JSON')
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      return refuse('MEDIA_TYPE_NOT_ACCEPTABLE', 'the body is not a JSON object')
    }
    const idValue = (json as Record<string, unknown>)[ID_FIELD[api]]
    const idExtra = typeof idValue === 'string' ? { id: idValue.slice(0, 64) } : {}
    const parsed = benefitApis[api].request.safeParse(json)
    if (!parsed.success) return refuse('PARAM_ILLEGAL', formatIssues(parsed.error), idExtra)

    if (api === 'syncUsedBenefit') platform.state.recordUsedBody((parsed.data as { benefitUseRequestId: string }).benefitUseRequestId, text)

    const fault = faults.take('inbound', api)
    if (fault) events.emit({ type: 'fault-fired', fault, api })
    const faultExtra = fault ? { ...idExtra, fault: describeFault(fault) } : idExtra

    if (fault && !fault.afterProcessing && fault.kind !== 'badSignature') {
      if (fault.kind === 'delay') await scheduler.sleep(fault.delayMs ?? 1000)
      else return breakAnswer(ctx, fault, finish, faultExtra, refuse)
    }

    const result = HANDLERS[api](platform, parsed.data as never)
    const extra: Partial<Draft> = { ...faultExtra, id: result.id, attempt: result.attempt, ...(result.replayed ? { replayed: true } : {}) }

    const announce = (): void => {
      for (const event of result.events ?? []) events.emit(event)
    }
    if (fault && (fault.afterProcessing || fault.kind === 'badSignature')) {
      if (fault.kind === 'delay') {
        try {
          await scheduler.sleep(fault.delayMs ?? 1000)
        } catch (error) {
          // Processed but never answered (stopped): what it caused still happened.
          announce()
          throw error
        }
      } else if (fault.kind !== 'badSignature') {
        breakAnswer(ctx, fault, finish, extra, refuse)
        return announce()
      }
    }
    sendSigned(ctx, result.body, { key, clientId, badSignature: fault?.kind === 'badSignature' })
    finish({ code: result.code, message: result.message, httpStatus: 200 }, extra)
    announce()
  }
}

/** drop / http / code: what the ISV gets instead of the real answer. */
function breakAnswer(
  ctx: Context,
  fault: FaultView,
  finish: (outcome: { code: string; message: string; httpStatus?: number; status?: 'S' | 'F' | 'U' }, extra?: Partial<Draft>) => void,
  extra: Partial<Draft>,
  refuse: (code: string, message: string, extra?: Partial<Draft>) => void,
): void {
  if (fault.kind === 'drop') {
    // No answer at all: the caller sees a reset connection and must retry or inquire.
    ctx.respond = false
    ctx.req.socket.destroy()
    finish({ code: 'DROPPED', message: 'connection dropped (injected fault)', status: 'U' }, extra)
    return
  }
  if (fault.kind === 'http') {
    const status = fault.httpStatus ?? 500
    ctx.status = status
    ctx.body = { error: `injected HTTP ${status}` }
    finish({ code: `HTTP_${status}`, message: 'injected HTTP error', httpStatus: status, status: 'U' }, extra)
    return
  }
  const code = fault.code ?? 'SYSTEM_ERROR'
  refuse(code, `injected ${code}`, extra)
}
