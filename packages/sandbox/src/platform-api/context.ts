import type { EventHub, SandboxEventBody } from '../events.js'
import type { FaultBoard } from '../faults.js'
import type { ResolvedOptions } from '../options.js'
import type { SandboxState } from '../state.js'

/** What a platform API handler may touch. */
export interface PlatformContext {
  readonly options: ResolvedOptions
  readonly state: SandboxState
  readonly faults: FaultBoard
  readonly events: EventHub
  /** Starts the review of an accepted sync (after the configured delay); returns the event announcing it. */
  scheduleReview(benefitSyncRequestId: string): SandboxEventBody | undefined
}

/** A handler's answer, before it is signed and sent. */
export interface HandlerResult {
  /** The JSON text of the answer; stored under the idempotency id and replayed unchanged. */
  body: string
  code: string
  message: string
  /** The id the request carried. */
  id: string
  /** How many times this id has arrived (1 = first). */
  attempt: number
  /** Answered from the stored answer of an earlier request. */
  replayed: boolean
  /** Emitted after the call's own event, so a timeline shows the call before what it caused. */
  events?: SandboxEventBody[]
}
