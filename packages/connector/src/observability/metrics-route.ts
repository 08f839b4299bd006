import type { Context, Middleware, Next } from 'koa'
import { createBearerCheck } from '../admin/bearer.js'
import type { ConnectorMetrics } from './metrics.js'
import { getRequestId, setRequestLabels } from './request-labels.js'

export interface MetricsRouteOptions {
  metrics: ConnectorMetrics
  /** BENEFITKIT_METRICS=1: served to anyone who can reach the port. */
  public: boolean
  /** Otherwise the admin token is required; with neither, /metrics is a 404. */
  adminToken?: string | undefined
}

/**
 * `GET /metrics` in Prometheus text format. The series name templates and
 * show volumes, which is business information, so by default a scraper
 * authenticates like an admin (`bearer_token` in Prometheus' scrape config).
 */
export function createMetricsRoute({ metrics, public: open, adminToken }: MetricsRouteOptions): Middleware | undefined {
  if (!open && !adminToken) return undefined
  const checkBearer = adminToken ? createBearerCheck(adminToken) : undefined
  return async function metricsRoute(ctx: Context, next: Next): Promise<void> {
    if (ctx.path !== '/metrics' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next()
    setRequestLabels(ctx, 'metrics')
    if (!open && checkBearer) {
      const auth = checkBearer(ctx.get('Authorization') || undefined)
      if (auth !== 'ok') {
        ctx.status = auth === 'missing' ? 401 : 403
        if (auth === 'missing') ctx.set('WWW-Authenticate', 'Bearer realm="benefitkit-metrics"')
        const code = auth === 'missing' ? 'UNAUTHENTICATED' : 'FORBIDDEN'
        setRequestLabels(ctx, 'metrics', code)
        const message = 'send Authorization: Bearer <BENEFITKIT_ADMIN_TOKEN>, or set BENEFITKIT_METRICS=1 to serve /metrics without it'
        ctx.body = { error: { code, message, requestId: getRequestId(ctx) } }
        return
      }
    }
    ctx.set('Content-Type', metrics.contentType)
    ctx.set('Cache-Control', 'no-store')
    ctx.body = await metrics.render()
  }
}
