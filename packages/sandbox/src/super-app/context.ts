import type { EventHub } from '../events.js'
import type { IsvClient } from '../isv-client.js'
import type { ResolvedOptions } from '../options.js'
import type { SandboxState } from '../state.js'
import type { Scheduler } from '../timers.js'

/** What the super app's side may touch. */
export interface SuperAppContext {
  readonly options: ResolvedOptions
  readonly state: SandboxState
  readonly events: EventHub
  readonly scheduler: Scheduler
  readonly isv: IsvClient
}
