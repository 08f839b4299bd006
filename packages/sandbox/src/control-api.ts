/**
 * The control API under /sandbox/: JSON in, JSON out, no signatures (it is the
 * test harness's door, not the platform's). It has no authentication, which is
 * why the sandbox listens on loopback by default.
 *
 *   GET    /sandbox/health                 → { ok, url, isvBaseUrl }
 *   GET    /sandbox/state                  → SandboxSnapshot
 *   GET    /sandbox/calls?api=&direction=&id=&after=  → { calls }
 *   GET    /sandbox/faults                 → { faults, outage, review }
 *   POST   /sandbox/faults                 FaultSpec | FaultSpec[] | { faults } → 201 { added }
 *   DELETE /sandbox/faults                 → clears faults, outage, review outcomes
 *   DELETE /sandbox/faults/:id             → 204, or 404
 *   POST   /sandbox/outage                 { on } → { outage }
 *   POST   /sandbox/review                 { templateId?, outcome, reason? } → { review }
 *   POST   /sandbox/release                { templateId } → TemplateRecord
 *   POST   /sandbox/collect                CollectInput → CollectResult
 *   POST   /sandbox/inquire-issue          { benefitIssueRequestId } → InquiryResult
 *   POST   /sandbox/reverse-issue          { benefitIssueRequestId } → ReversalResult
 *   POST   /sandbox/isv-base-url           { isvBaseUrl } → { isvBaseUrl }
 *   POST   /sandbox/reset                  → forgets everything seen, clears faults
 *
 * Errors: `{ "error": { "code", "message" } }` with 400 / 404 / 409.
 */
import Router from '@koa/router'
import type { Context, Middleware } from 'koa'
import { z } from 'zod'
import { formatIssues, Id } from '@benefitkit/shared'
import { BodyTooLargeError, readRawBody } from './body.js'
import type { CallDirection } from './call-log.js'
import { SandboxError } from './errors.js'
import type { FaultSpec } from './faults.js'
import type { Sandbox } from './sandbox.js'
import { CONTROL_PREFIX } from './server.js'

async function readJson(ctx: Context): Promise<unknown> {
  let raw: Buffer
  try {
    raw = await readRawBody(ctx.req, 1024 * 1024)
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new SandboxError('BODY_TOO_LARGE', error.message, 413)
    throw error
  }
  const text = raw.toString('utf8').trim()
  if (!text) return {}
  try {
    return JSON.parse(text)
  } catch {
    throw new SandboxError('INVALID_JSON', 'the body is not JSON')
  }
}

function parse<T>(schema: z.ZodType<T>, input: unknown, code: string): T {
  const parsed = schema.safeParse(input)
  if (!parsed.success) throw new SandboxError(code, formatIssues(parsed.error))
  return parsed.data
}

const TemplateBody = z.object({ templateId: Id })
const IssueIdBody = z.object({ benefitIssueRequestId: Id })
const OutageBody = z.object({ on: z.boolean() })
const IsvUrlBody = z.object({ isvBaseUrl: z.string() })

export function controlApi(sandbox: Sandbox): Middleware {
  const router = new Router({ prefix: CONTROL_PREFIX })

  router.get('/health', (ctx) => {
    ctx.body = { ok: true, url: sandbox.url, isvBaseUrl: sandbox.isvBaseUrl ?? null }
  })
  router.get('/state', (ctx) => {
    ctx.body = sandbox.state
  })
  router.get('/calls', (ctx) => {
    const q = ctx.query
    const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)
    const direction = one(q.direction)
    if (direction !== undefined && direction !== 'inbound' && direction !== 'outbound') {
      throw new SandboxError('INVALID_QUERY', 'direction must be inbound or outbound')
    }
    const after = one(q.after)
    if (after !== undefined && !/^\d+$/.test(after)) throw new SandboxError('INVALID_QUERY', 'after must be a call seq number')
    const api = one(q.api)
    const id = one(q.id)
    ctx.body = {
      calls: sandbox.calls({
        ...(api === undefined ? {} : { api }),
        ...(direction === undefined ? {} : { direction: direction as CallDirection }),
        ...(id === undefined ? {} : { id }),
        ...(after === undefined ? {} : { afterSeq: Number(after) }),
      }),
    }
  })
  router.get('/faults', (ctx) => {
    ctx.body = sandbox.faultSettings()
  })
  router.post('/faults', async (ctx) => {
    const body = await readJson(ctx)
    const specs: unknown[] = Array.isArray(body)
      ? body
      : typeof body === 'object' && body !== null && Array.isArray((body as { faults?: unknown }).faults)
        ? (body as { faults: unknown[] }).faults
        : [body]
    // Check all before adding any, so a bad list changes nothing.
    const problems: string[] = []
    const valid: FaultSpec[] = []
    specs.forEach((spec, i) => {
      try {
        valid.push(sandbox.checkFault(spec))
      } catch (error) {
        problems.push(`faults[${i}]: ${(error as Error).message}`)
      }
    })
    if (problems.length > 0) throw new SandboxError('INVALID_FAULT', problems.join('; '))
    ctx.status = 201
    ctx.body = { added: valid.map((spec) => sandbox.injectFault(spec)) }
  })
  router.delete('/faults', (ctx) => {
    sandbox.clearFaults()
    ctx.body = sandbox.faultSettings()
  })
  router.delete('/faults/:id', (ctx) => {
    if (!sandbox.removeFault(ctx.params.id!)) throw new SandboxError('FAULT_NOT_FOUND', `no fault ${ctx.params.id}`, 404)
    ctx.status = 204
  })
  router.post('/outage', async (ctx) => {
    const { on } = parse(OutageBody, await readJson(ctx), 'INVALID_OUTAGE')
    sandbox.setOutage(on)
    ctx.body = { outage: sandbox.outage }
  })
  router.post('/review', async (ctx) => {
    sandbox.setReviewOutcome((await readJson(ctx)) as never)
    ctx.body = { review: sandbox.faultSettings().review }
  })
  router.post('/release', async (ctx) => {
    const { templateId } = parse(TemplateBody, await readJson(ctx), 'INVALID_RELEASE')
    ctx.body = sandbox.release(templateId)
  })
  router.post('/collect', async (ctx) => {
    ctx.body = await sandbox.collect((await readJson(ctx)) as never)
  })
  router.post('/inquire-issue', async (ctx) => {
    const { benefitIssueRequestId } = parse(IssueIdBody, await readJson(ctx), 'INVALID_INQUIRY')
    ctx.body = await sandbox.inquireIssue(benefitIssueRequestId)
  })
  router.post('/reverse-issue', async (ctx) => {
    const { benefitIssueRequestId } = parse(IssueIdBody, await readJson(ctx), 'INVALID_REVERSAL')
    ctx.body = await sandbox.reverseIssue(benefitIssueRequestId)
  })
  router.post('/isv-base-url', async (ctx) => {
    const { isvBaseUrl } = parse(IsvUrlBody, await readJson(ctx), 'INVALID_URL')
    sandbox.setIsvBaseUrl(isvBaseUrl)
    ctx.body = { isvBaseUrl: sandbox.isvBaseUrl }
  })
  router.post('/reset', (ctx) => {
    sandbox.reset()
    ctx.body = { ok: true }
  })

  const routes = router.routes()
  return async function control(ctx, next) {
    try {
      await routes(ctx as never, async () => {
        ctx.status = 404
        ctx.body = { error: { code: 'NOT_FOUND', message: `no control endpoint ${ctx.method} ${ctx.path}` } }
      })
      void next
    } catch (error) {
      if (error instanceof SandboxError) {
        ctx.status = error.status
        ctx.body = { error: { code: error.code, message: error.message } }
        return
      }
      ctx.status = 500
      ctx.body = { error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } }
    }
  }
}
