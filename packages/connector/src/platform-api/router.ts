import Router from '@koa/router'
import { benefitApis } from '@benefitkit/shared'
import type { ConnectorContext } from '../context.js'
import type { InboundRoute } from './inbound-route.js'
import { inquireBenefitIssueRoute } from './inquire-benefit-issue.js'
import { issueBenefitRoute } from './issue-benefit.js'
import { notifyBenefitSyncRoute } from './notify-benefit-sync.js'
import { reverseBenefitIssueRoute } from './reverse-benefit-issue.js'
import { signedProtocol } from './signed-protocol.js'

/**
 * The folder the four ISV paths share (`/isv/benefit/…`). Every path under
 * `${isvPathPrefix}/isv` is the platform's: a path there that is not one of the
 * four answers INVALID_API (signed, like every answer), while paths outside it
 * stay free for the redemption and admin routers.
 */
const ISV_NAMESPACE = '/isv'

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The four calls the platform makes to us, at `${config.isvPathPrefix}${benefitApis.X.path}`. */
export function createPlatformRouter(context: ConnectorContext): Router {
  const prefix = context.config.isvPathPrefix
  const routes = new Map<string, InboundRoute>([
    [prefix + benefitApis.notifyBenefitSync.path, notifyBenefitSyncRoute(context)],
    [prefix + benefitApis.issueBenefit.path, issueBenefitRoute(context)],
    [prefix + benefitApis.reverseBenefitIssue.path, reverseBenefitIssueRoute(context)],
    [prefix + benefitApis.inquireBenefitIssue.path, inquireBenefitIssueRoute(context)],
  ])
  const router = new Router()
  router.all(new RegExp(`^${escapeRegExp(prefix + ISV_NAMESPACE)}(?:/.*)?$`), signedProtocol(context, routes))
  return router
}
