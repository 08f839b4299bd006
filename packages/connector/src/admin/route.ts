import type Router from '@koa/router'
import type { Context } from 'koa'
import { setRequestLabels } from '../observability/request-labels.js'

/** The router type every admin route module mounts onto. */
export type AdminRouter = Router

/**
 * Wraps a handler so the request log and metrics name it (`admin.outbox.retry`)
 * and count it `OK`; the admin guard overwrites the code when it throws.
 */
export function handler(api: string, run: (ctx: Context) => Promise<unknown> | unknown) {
  return async function adminHandler(ctx: Context): Promise<void> {
    setRequestLabels(ctx, api, 'OK')
    const body = await run(ctx)
    if (body !== undefined) ctx.body = body
  }
}
