import type { DeliveryEvent } from '../outbox/worker.js'
import type { DeliveryMetrics, DeliveryOutcome } from './delivery-metrics.js'

/**
 * Feeds the worker's finished deliveries (`worker.onDelivery`) into the
 * delivery metrics. An outcome without an HTTP status never got an answer
 * (refused, timeout, reset, non-200): counted as `transport`, apart from a platform
 * that answered U, so an operator can tell "platform down" from "platform busy".
 */
export function recordDeliveryEvent(metrics: DeliveryMetrics, event: DeliveryEvent): void {
  metrics.recordDelivery(event.api, outcomeLabel(event), event.outcome.durationMs)
}

function outcomeLabel({ outcome }: DeliveryEvent): DeliveryOutcome {
  // Non-200 is a transport failure too (protocol.md §1).
  return outcome.httpStatus === 200 ? outcome.status : 'transport'
}
