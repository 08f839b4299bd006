import type { ConnectorContext } from '../../context.js'
import { TEMPLATE_STATES } from '../../db/schema.js'
import { createTemplate, queueTemplateSync } from '../../templates/create.js'
import { isTemplateError, type TemplateError } from '../../templates/errors.js'
import { findTemplate, listTemplates, poolStats, templateView } from '../../templates/repository.js'
import { AdminError, type AdminErrorCode } from '../errors.js'
import { enumParam, jsonBody, limitParam, queryString } from '../params.js'
import { handler, type AdminRouter } from '../route.js'

/** A template body with an inline code pool can be large; the admin API is authenticated. */
const TEMPLATE_BODY_LIMIT = 10 * 1024 * 1024

/**
 * GET /templates[?state][&limit], GET /templates/:id,
 * POST /templates[?draft=true] (a template file's JSON; `codes` inline, never
 * `codesFile`), POST /templates/:id/sync (queue a draft's syncBenefit).
 */
export function mountTemplates(router: AdminRouter, context: ConnectorContext): void {
  router.get(
    '/templates',
    handler('admin.templates.list', async (ctx) => {
      const state = enumParam(ctx, 'state', TEMPLATE_STATES)
      const rows = await listTemplates(context.db, { ...(state ? { state } : {}), limit: limitParam(ctx, 100) })
      return { templates: rows.map((row) => templateView(row)) }
    }),
  )
  router.get(
    '/templates/:id',
    handler('admin.templates.show', async (ctx) => {
      const id = ctx.params.id!
      const row = await findTemplate(context.db, id)
      if (!row) throw new AdminError('NOT_FOUND', `no template ${id}`)
      return { template: templateView(row, await poolStats(context.db, id)) }
    }),
  )

  router.post(
    '/templates',
    handler('admin.templates.create', async (ctx) => {
      const draft = queryString(ctx, 'draft')
      if (draft !== undefined && draft !== 'true' && draft !== 'false') throw new AdminError('INVALID_REQUEST', 'draft must be true or false')
      const input = await jsonBody(ctx, TEMPLATE_BODY_LIMIT)
      try {
        // An HTTP caller must never make the daemon read a file: no codesFile.
        const created = await createTemplate(context, input, { draft: draft === 'true', allowCodesFile: false })
        ctx.status = 201
        return created
      } catch (error) {
        throw isTemplateError(error) ? adminErrorOf(error) : error
      }
    }),
  )
  router.post(
    '/templates/:id/sync',
    handler('admin.templates.sync', async (ctx) => {
      try {
        return await queueTemplateSync(context, ctx.params.id!)
      } catch (error) {
        throw isTemplateError(error) ? adminErrorOf(error) : error
      }
    }),
  )
}

const KIND_CODES: Record<TemplateError['kind'], AdminErrorCode> = {
  invalid: 'INVALID_REQUEST',
  'not-found': 'NOT_FOUND',
  conflict: 'CONFLICT',
}

function adminErrorOf(error: TemplateError): AdminError {
  return new AdminError(KIND_CODES[error.kind], error.message, error.problems)
}
