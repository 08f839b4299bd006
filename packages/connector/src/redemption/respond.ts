import type { Context } from 'koa'

const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * Sends an already-serialised JSON body. Setting the header ourselves skips
 * Koa's type sniffing, and a string body is never serialised twice.
 */
export function sendJson(ctx: Context, status: number, body: string): void {
  ctx.status = status
  ctx.set('Content-Type', JSON_TYPE)
  ctx.body = body
}
