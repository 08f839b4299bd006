import type { ConnectorContext } from '../context.js'
import { issueBenefit } from '../issuing/issue.js'
import type { TemplateCatalog } from '../issuing/template-catalog.js'
import { inboundRoute, type InboundRoute } from './inbound-route.js'

/** issueBenefit (protocol.md §6.5); the work is in issuing/issue.ts. */
export function issueBenefitRoute(context: ConnectorContext, templates: TemplateCatalog): InboundRoute {
  return inboundRoute('issueBenefit', (request, call) =>
    issueBenefit({ db: context.db, templates, now: context.now, urlBase: call.urlBase }, request),
  )
}
