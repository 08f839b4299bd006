import type { ConnectorContext } from '../../context.js'
import { integerParam, limitParam, queryString, timeValue } from '../params.js'
import { handler, type AdminRouter } from '../route.js'
import { redemptionAdminView } from '../views.js'

/**
 * GET /redemptions[?instanceId=I][&userId=U][&since=T][&before=MS][&limit=N] —
 * newest first; page backwards with `before` = the last row's redeemedAt in ms.
 */
export function mountRedemptions(router: AdminRouter, context: ConnectorContext): void {
  router.get(
    '/redemptions',
    handler('admin.redemptions.list', async (ctx) => {
      let query = context.db.selectFrom('redemptions').selectAll()
      const instanceId = queryString(ctx, 'instanceId')
      const userId = queryString(ctx, 'userId')
      const since = timeValue(queryString(ctx, 'since'), 'since')
      const before = integerParam(ctx, 'before')
      if (instanceId) query = query.where('instance_id', '=', instanceId)
      if (userId) query = query.where('user_id', '=', userId)
      if (since !== undefined) query = query.where('redeemed_at', '>=', since)
      if (before !== undefined) query = query.where('redeemed_at', '<', before)
      const rows = await query.orderBy('redeemed_at', 'desc').orderBy('id', 'desc').limit(limitParam(ctx)).execute()
      return { redemptions: rows.map(redemptionAdminView) }
    }),
  )
}
