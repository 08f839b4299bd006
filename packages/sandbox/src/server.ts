/**
 * One Koa app on one port: the control API under /sandbox/, the platform's
 * APIs everywhere else (unknown paths are answered INVALID_API, signed).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Koa, { type Context, type Middleware } from 'koa'
import type { SigningKey } from '@benefitkit/shared/signing'
import { headerValue } from '@benefitkit/shared/signing'
import { resultBody, sendSigned } from './platform-api/answer.js'

export interface AppParts {
  platform: (ctx: Context) => Promise<void>
  control: Middleware
  key: SigningKey
  clientId: string
  onError(error: unknown): void
}

export const CONTROL_PREFIX = '/sandbox'

export function createApp(parts: AppParts): Koa {
  const app = new Koa()
  // Errors are handled below and reported as events; Koa's default logger would print them twice.
  app.silent = true
  app.use(async function route(ctx, next) {
    if (ctx.path === CONTROL_PREFIX || ctx.path.startsWith(`${CONTROL_PREFIX}/`)) return parts.control(ctx, next)
    try {
      await parts.platform(ctx)
    } catch (error) {
      parts.onError(error)
      if (ctx.headerSent || !ctx.writable) return
      // An unexpected failure is the platform's internal error: U, so the ISV retries.
      const clientId = headerValue(ctx.headers, 'Client-Id') || parts.clientId
      sendSigned(ctx, resultBody('SYSTEM_ERROR', 'internal error in the sandbox'), { key: parts.key, clientId })
    }
  })
  return app
}

export async function listen(app: Koa, host: string, port: number): Promise<{ server: Server; url: string }> {
  const server = createServer(app.callback())
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return { server, url: `http://${shownHost}:${address.port}` }
}

/** Stops accepting, then ends every open connection (keep-alive ones too) so `close` resolves at once. */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections()
  await closed
}
