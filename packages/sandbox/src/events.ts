/**
 * What the sandbox tells its watchers: one event per call in either direction,
 * plus the steps of the flows (review, notify acknowledged, release, collect
 * finished, benefit used). A demo prints them as a timeline; a test waits for one.
 */
import { EventEmitter } from 'node:events'
import type { CallRecord } from './call-log.js'
import type { FaultView } from './faults.js'
import type { IssueRecord, ReviewOutcome } from './state.js'
import type { SyncFailCode, SyncStatus } from '@benefitkit/shared'

export type SandboxEventBody =
  | { type: 'call'; call: CallRecord }
  | { type: 'sync-accepted'; benefitSyncRequestId: string; benefitTemplateId: string; reviewAt: string }
  | {
      type: 'sync-reviewed'
      benefitSyncRequestId: string
      benefitTemplateId: string
      decision: ReviewOutcome
      syncStatus: SyncStatus
      syncFailCode?: SyncFailCode
      syncFailReason?: string
    }
  | { type: 'notify-acknowledged'; benefitSyncRequestId: string; attempts: number }
  | { type: 'notify-retry-scheduled'; benefitSyncRequestId: string; attempt: number; inMs: number; lastCode: string }
  | { type: 'notify-gave-up'; benefitSyncRequestId: string; attempts: number; lastCode: string }
  | { type: 'template-released'; benefitTemplateId: string }
  | { type: 'collect-finished'; issue: IssueRecord }
  | { type: 'benefit-used'; benefitUseRequestId: string; benefitInstanceId: string; knownInstance: boolean }
  | { type: 'fault-fired'; fault: FaultView; api: string }
  | { type: 'outage'; on: boolean }
  | { type: 'error'; message: string }

/** `at` is ISO 8601 UTC; `seq` orders events across types. */
export type SandboxEvent = SandboxEventBody & { seq: number; at: string }
export type SandboxEventType = SandboxEvent['type']
export type SandboxEventListener = (event: SandboxEvent) => void

export class EventHub {
  readonly emitter = new EventEmitter<{ event: [SandboxEvent] }>()
  #seq = 0

  constructor() {
    // Tests and demos attach several waiters at once; the default 10 would warn.
    this.emitter.setMaxListeners(0)
  }

  emit(body: SandboxEventBody): SandboxEvent {
    const event = { ...body, seq: ++this.#seq, at: new Date().toISOString() } as SandboxEvent
    for (const listener of this.emitter.listeners('event')) {
      // A watcher that throws must not break the call that produced the event.
      try {
        ;(listener as SandboxEventListener)(event)
      } catch (error) {
        process.emitWarning(`a sandbox event listener threw: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    return event
  }

  subscribe(listener: SandboxEventListener): () => void {
    this.emitter.on('event', listener)
    return () => this.emitter.off('event', listener)
  }
}
