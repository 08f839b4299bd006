/**
 * Delivery of notifyBenefitSync (protocol.md §6.4): the platform retries until
 * the ISV acknowledges with a signed `success: true`, waiting per the retry
 * schedule (its last wait repeats). Every attempt is kept on the sync record;
 * it only stops early when `notifyMaxAttempts` is set, and says so (GAVE_UP and
 * an event), never silently.
 */
import type { EventHub } from './events.js'
import type { IsvClient } from './isv-client.js'
import type { ResolvedOptions } from './options.js'
import type { SandboxState } from './state.js'
import { isAbortError, type Scheduler } from './timers.js'

export interface NotifyDeps {
  options: ResolvedOptions
  state: SandboxState
  events: EventHub
  scheduler: Scheduler
  isv: IsvClient
  onError(error: unknown): void
}

export class Notifier {
  readonly #deps: NotifyDeps

  constructor(deps: NotifyDeps) {
    this.#deps = deps
  }

  /** Starts delivering the final review result of a sync. */
  start(benefitSyncRequestId: string): void {
    const sync = this.#deps.state.syncs.get(benefitSyncRequestId)
    if (!sync || sync.syncStatus === 'PROCESSING') return
    sync.notify = { state: 'PENDING', attempts: [] }
    void this.#attempt(benefitSyncRequestId, 1)
  }

  async #attempt(benefitSyncRequestId: string, attempt: number): Promise<void> {
    const { options, state, events, scheduler, isv } = this.#deps
    const sync = state.syncs.get(benefitSyncRequestId)
    const delivery = sync?.notify
    if (!sync || !delivery || delivery.state !== 'PENDING') return
    // Built from the record each time; the record does not change once reviewed, so neither do the bytes.
    const body = JSON.stringify({
      benefitSyncRequestId,
      syncStatus: sync.syncStatus,
      ...(sync.syncFailCode === undefined ? {} : { syncFailCode: sync.syncFailCode }),
      ...(sync.syncFailReason === undefined ? {} : { syncFailReason: sync.syncFailReason }),
    })
    let answer
    try {
      delete delivery.nextAttemptAt
      answer = await isv.call('notifyBenefitSync', body, { id: benefitSyncRequestId, attempt })
    } catch (error) {
      if (!isAbortError(error)) this.#deps.onError(error)
      return
    }
    const { body: _answerBody, ...record } = answer
    delivery.attempts.push(record)
    if (answer.status === 'S') {
      delivery.state = 'ACKNOWLEDGED'
      delivery.acknowledgedAt = new Date().toISOString()
      events.emit({ type: 'notify-acknowledged', benefitSyncRequestId, attempts: attempt })
      return
    }
    if (options.notifyMaxAttempts !== undefined && attempt >= options.notifyMaxAttempts) {
      delivery.state = 'GAVE_UP'
      events.emit({ type: 'notify-gave-up', benefitSyncRequestId, attempts: attempt, lastCode: answer.code })
      return
    }
    const schedule = options.notifyRetryScheduleMs
    const wait = schedule[Math.min(attempt - 1, schedule.length - 1)]!
    delivery.nextAttemptAt = new Date(Date.now() + wait).toISOString()
    events.emit({ type: 'notify-retry-scheduled', benefitSyncRequestId, attempt: attempt + 1, inMs: wait, lastCode: answer.code })
    scheduler.after(wait, () => this.#attempt(benefitSyncRequestId, attempt + 1), this.#deps.onError)
  }
}
