import type { ConnectorContext } from '../context.js'
import { reverseBenefitIssue } from '../issuing/reverse.js'
import { inboundRoute, type InboundRoute } from './inbound-route.js'

/** reverseBenefitIssue (protocol.md §6.6); the work is in issuing/reverse.ts. */
export function reverseBenefitIssueRoute(context: ConnectorContext): InboundRoute {
  return inboundRoute('reverseBenefitIssue', (request) => reverseBenefitIssue(context, request))
}
