import type { ConnectorContext } from '../../context.js'
import { AdminError } from '../errors.js'
import { handler, type AdminRouter } from '../route.js'
import { instanceAdminView, issuingAdminView } from '../views.js'

/** GET /issuings/:requestId — one benefitIssueRequestId: its state and the instances it created. */
export function mountIssuings(router: AdminRouter, context: ConnectorContext): void {
  router.get(
    '/issuings/:requestId',
    handler('admin.issuings.show', async (ctx) => {
      const requestId = ctx.params.requestId!
      const row = await context.db.selectFrom('issuings').selectAll().where('request_id', '=', requestId).executeTakeFirst()
      if (!row) throw new AdminError('NOT_FOUND', `no issuing with benefitIssueRequestId ${requestId}`)
      const instances = await context.db.selectFrom('instances').selectAll().where('issuing_id', '=', requestId).orderBy('id').execute()
      const now = context.now()
      return { issuing: issuingAdminView(row), instances: instances.map((i) => instanceAdminView(i, now)) }
    }),
  )
}
