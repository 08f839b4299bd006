import type { ConnectorContext } from '../../context.js'
import { AdminError } from '../errors.js'
import { jsonBody, limitParam, queryString } from '../params.js'
import { handler, type AdminRouter } from '../route.js'
import { instanceAdminView, redemptionAdminView } from '../views.js'

/**
 * GET /instances?userId=U[&templateId=T], GET /instances/:id, and
 * POST /instances/lookup {benefitCode} — a code travels in a body, never in a
 * URL, where proxies and access logs would keep it.
 */
export function mountInstances(router: AdminRouter, context: ConnectorContext): void {
  const { db } = context

  router.get(
    '/instances',
    handler('admin.instances.byUser', async (ctx) => {
      const userId = queryString(ctx, 'userId')
      if (!userId) throw new AdminError('INVALID_REQUEST', 'userId is required (to find an instance by its code, POST /admin/v1/instances/lookup {"benefitCode"})')
      const templateId = queryString(ctx, 'templateId')
      let query = db.selectFrom('instances').selectAll().where('user_id', '=', userId)
      if (templateId) query = query.where('template_id', '=', templateId)
      const rows = await query.orderBy('created_at', 'desc').limit(limitParam(ctx, 100)).execute()
      const now = context.now()
      return { instances: rows.map((row) => instanceAdminView(row, now)) }
    }),
  )

  router.post(
    '/instances/lookup',
    handler('admin.instances.byCode', async (ctx) => {
      const body = await jsonBody(ctx, 4096)
      const code = body.benefitCode
      if (typeof code !== 'string' || code.length === 0) throw new AdminError('INVALID_REQUEST', 'benefitCode is required (a string)')
      const row = await db.selectFrom('instances').selectAll().where('code', '=', code).executeTakeFirst()
      if (!row) throw new AdminError('NOT_FOUND', 'no instance has this code')
      return showInstance(context, row.id)
    }),
  )

  router.get(
    '/instances/:id',
    handler('admin.instances.show', async (ctx) => showInstance(context, ctx.params.id!)),
  )
}

async function showInstance(context: ConnectorContext, id: string) {
  const row = await context.db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new AdminError('NOT_FOUND', `no instance ${id}`)
  const redemption = await context.db.selectFrom('redemptions').selectAll().where('instance_id', '=', id).executeTakeFirst()
  return { instance: instanceAdminView(row, context.now()), redemption: redemption ? redemptionAdminView(redemption) : null }
}
