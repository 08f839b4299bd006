import type { ConnectorContext } from '../context.js'
import { inquireBenefitIssue } from '../issuing/inquire.js'
import { inboundRoute, type InboundRoute } from './inbound-route.js'

/** inquireBenefitIssue (protocol.md §6.7); the work is in issuing/inquire.ts. */
export function inquireBenefitIssueRoute(context: ConnectorContext): InboundRoute {
  return inboundRoute('inquireBenefitIssue', (request) => inquireBenefitIssue(context, request))
}
