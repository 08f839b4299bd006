import type { Middleware } from 'koa'
import type { ConnectorContext } from '../context.js'

/**
 * No answer leaves before every commit it may have seen is on disk
 * (db/durability.ts): the handler ran and may have written or read fresh
 * commits; the answer waits for the WAL sync that covers them. Usually there
 * is nothing pending and this costs nothing.
 *
 * If the sync failed, the commit's fate is unknown, so the caller gets no
 * answer at all (the connection is closed): an unanswered call is retried
 * with the same idempotency id, which is safe; a wrong acknowledgement is not.
 */
export function durableAnswers(context: ConnectorContext): Middleware {
  const { durability, logger } = context
  return async function durableAnswer(ctx, next) {
    await next()
    try {
      await durability.settled()
    } catch (error) {
      logger.error({ err: error, path: ctx.path }, 'answer withheld: the WAL sync failed')
      ctx.respond = false
      ctx.req.socket.destroy()
    }
  }
}
