import type { ConnectorContext } from '../../context.js'
import { OUTBOX_STATES } from '../../db/schema.js'
import { getOutboxRow, listOutbox } from '../../outbox/queries.js'
import { replayDeadRows, retryOutboxRow } from '../../outbox/replay.js'
import { AdminError } from '../errors.js'
import { enumParam, idParam, integerParam, jsonBody, limitParam, timeValue } from '../params.js'
import { handler, type AdminRouter } from '../route.js'
import { outboxAdminView, outboxDetailView } from '../views.js'

const PLATFORM_CALLS = ['syncBenefit', 'syncUsedBenefit'] as const

/**
 * GET /outbox[?state][&api][&before=ID][&limit], GET /outbox/:id,
 * POST /outbox/:id/retry, POST /outbox/replay {"dead":true,"since"?,"api"?}.
 * Retry and replay keep each row's idempotency id and exact body: the
 * platform sees a repeat, never a new call.
 */
export function mountOutbox(router: AdminRouter, context: ConnectorContext): void {
  const { db } = context

  router.get(
    '/outbox',
    handler('admin.outbox.list', async (ctx) => {
      const rows = await listOutbox(db, {
        state: enumParam(ctx, 'state', OUTBOX_STATES),
        api: enumParam(ctx, 'api', PLATFORM_CALLS),
        beforeId: integerParam(ctx, 'before'),
        limit: limitParam(ctx),
      })
      return { outbox: rows.map(outboxAdminView) }
    }),
  )

  router.post(
    '/outbox/replay',
    handler('admin.outbox.replay', async (ctx) => {
      const body = await jsonBody(ctx, 4096)
      if (body.dead !== true) {
        throw new AdminError('INVALID_REQUEST', 'send {"dead":true} (optionally "since": a time, "api": syncBenefit|syncUsedBenefit): only dead rows are replayed')
      }
      const api = body.api
      if (api !== undefined && !PLATFORM_CALLS.includes(api as (typeof PLATFORM_CALLS)[number])) {
        throw new AdminError('INVALID_REQUEST', `api must be one of ${PLATFORM_CALLS.join(', ')}`)
      }
      const since = timeValue(body.since, 'since')
      const ids = await replayDeadRows(db, { now: context.now(), since, api: api as string | undefined })
      if (ids.length) context.outbox.wake()
      return { replayed: ids.length, ids }
    }),
  )

  router.get(
    '/outbox/:id',
    handler('admin.outbox.show', async (ctx) => {
      const id = idParam(ctx.params.id, 'id')
      const row = await getOutboxRow(db, id)
      if (!row) throw new AdminError('NOT_FOUND', `no outbox row ${id}`)
      return { outbox: outboxDetailView(row) }
    }),
  )

  router.post(
    '/outbox/:id/retry',
    handler('admin.outbox.retry', async (ctx) => {
      const id = idParam(ctx.params.id, 'id')
      const result = await retryOutboxRow(db, id, context.now())
      switch (result.kind) {
        case 'not_found':
          throw new AdminError('NOT_FOUND', `no outbox row ${id}`)
        case 'refused':
          throw new AdminError('CONFLICT', `outbox row ${id} is ${result.state}: only dead or waiting rows can be retried`)
        default:
          context.outbox.wake()
          return { id, result: result.kind }
      }
    }),
  )
}

