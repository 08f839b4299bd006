import type { InstanceRecord } from './queries.js'

/**
 * Instances by code, for lookups: a checkout looks a code up several times
 * (shown, PIN typed, confirmed) before it redeems it, and the indexed read is
 * about a third of a lookup's CPU. Only the redemption lookup reads from here;
 * a redeem always reads the database inside its transaction.
 *
 * An instance row changes in two places only, both in this process: a redeem
 * (`forget` its code) and a reversal (`clear`, rare). Validity is computed from
 * `expire_at` at each lookup, never stored. A read that started before a
 * forget/clear must not put its older row back: `generation()` is taken before
 * the read and `remember` ignores the row if anything was forgotten meanwhile.
 * FIFO-bounded, so memory stays small (~1 KB a row).
 */
export class InstanceCache {
  readonly #rows = new Map<string, InstanceRecord>()
  readonly #capacity: number
  #generation = 0

  constructor(capacity = 2_000) {
    this.#capacity = capacity
  }

  get(code: string): InstanceRecord | undefined {
    return this.#rows.get(code)
  }

  /** Take before reading the database; hand to `remember` with the row read. */
  generation(): number {
    return this.#generation
  }

  remember(code: string, row: InstanceRecord, readAtGeneration: number): void {
    if (readAtGeneration !== this.#generation) return
    if (this.#rows.size >= this.#capacity) this.#rows.delete(this.#rows.keys().next().value!)
    this.#rows.set(code, row)
  }

  /** The instance with this code changed (redeemed). */
  forget(code: string): void {
    this.#generation++
    this.#rows.delete(code)
  }

  /** Instances changed that we cannot name by code (a reversal). */
  clear(): void {
    this.#generation++
    this.#rows.clear()
  }
}
