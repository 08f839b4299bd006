import type { ConnectorContext } from '../context.js'
import { issueBenefit } from '../issuing/issue.js'
import { createIssuingQueries } from '../issuing/queries.js'
import { TemplateCatalog } from '../issuing/template-catalog.js'
import { inboundRoute, type InboundRoute } from './inbound-route.js'

/**
 * issueBenefit (protocol.md §6.5); the work is in issuing/issue.ts. Concurrent
 * issues share transactions (group commit) and synced templates are read once.
 */
export function issueBenefitRoute(context: ConnectorContext): InboundRoute {
  const templates = new TemplateCatalog(context.db)
  const transact = context.commits.run
  const queries = createIssuingQueries(context.db)
  return inboundRoute('issueBenefit', (request, call) =>
    issueBenefit({ transact, templates, queries, now: context.now, urlBase: call.urlBase }, request),
  )
}
