/**
 * Every call the sandbox received or made, oldest first, capped so a long
 * benchmark run cannot grow memory without bound (the oldest records go first).
 */
import type { BenefitApiName } from '@benefitkit/shared'
import type { ResultStatus } from './state.js'

/** inbound: the ISV called the platform; outbound: the platform called the ISV. */
export type CallDirection = 'inbound' | 'outbound'

export interface CallRecord {
  /** Increases by one per call, across both directions. */
  seq: number
  direction: CallDirection
  from: 'isv' | 'platform'
  to: 'isv' | 'platform'
  /** `unknown` for a path that is no API (answered INVALID_API). */
  api: BenefitApiName | 'unknown'
  path: string
  /** The request's idempotency or lookup id (benefitSyncRequestId, benefitIssueRequestId, …) when it had one. */
  id?: string
  /** When the call started, ISO 8601 UTC. */
  at: string
  durationMs: number
  /**
   * outbound: the attempt number within its flow (1 = first try);
   * inbound: how many times this id has arrived so far (1 = first time).
   */
  attempt: number
  /** The HTTP status that went over the wire; absent when the connection dropped or the answer was lost. */
  httpStatus?: number
  /** The outcome as the caller sees it (a lost answer is U). */
  status: ResultStatus
  code: string
  message: string
  /** inbound: answered from the idempotency record without running the API again. */
  replayed?: boolean
  /** The injected fault that shaped this call, e.g. `code SYSTEM_ERROR`, `drop`, `loseAnswer`. */
  fault?: string
  /** outbound: whether the ISV's answer carried a valid signature. */
  signatureValid?: boolean
}

export interface CallFilter {
  api?: string
  direction?: CallDirection
  id?: string
  /** Only calls with a seq greater than this. */
  afterSeq?: number
}

export class CallLog {
  readonly #max: number
  #records: CallRecord[] = []
  #seq = 0

  constructor(max: number) {
    this.#max = max
  }

  add(record: Omit<CallRecord, 'seq' | 'from' | 'to'>): CallRecord {
    const full: CallRecord = {
      seq: ++this.#seq,
      from: record.direction === 'inbound' ? 'isv' : 'platform',
      to: record.direction === 'inbound' ? 'platform' : 'isv',
      ...record,
    }
    this.#records.push(full)
    // Trim in batches so a full log does not shift the array on every call.
    if (this.#records.length > this.#max + Math.max(1, Math.floor(this.#max / 10))) {
      this.#records = this.#records.slice(-this.#max)
    }
    return full
  }

  list(filter: CallFilter = {}): CallRecord[] {
    const start = this.#records.length > this.#max ? this.#records.length - this.#max : 0
    const out: CallRecord[] = []
    for (let i = start; i < this.#records.length; i++) {
      const r = this.#records[i]!
      if (filter.api !== undefined && r.api !== filter.api) continue
      if (filter.direction !== undefined && r.direction !== filter.direction) continue
      if (filter.id !== undefined && r.id !== filter.id) continue
      if (filter.afterSeq !== undefined && r.seq <= filter.afterSeq) continue
      out.push({ ...r })
    }
    return out
  }

  get size(): number {
    return Math.min(this.#records.length, this.#max)
  }

  clear(): void {
    this.#records = []
  }
}
