import type { ConnectorContext } from '../context.js'
import { purgeExpiredNonces } from './auth/nonces.js'
import { purgeExpiredIdempotencyKeys } from './idempotency.js'

/**
 * Purges nonces past their window and idempotency keys past their retention.
 * Run from the request path at most once per `intervalMs`, in the background
 * and in small batches, so it needs no timer of its own and never holds the
 * database for long; an idle connector has nothing new to purge.
 */
export function createMaintenance(context: ConnectorContext, intervalMs = 60_000, batch = 1000): { tick(): void; run(): Promise<void> } {
  let lastRun = context.now()
  let running = false

  async function purgeAll(purge: (now: number) => Promise<number>, now: number): Promise<number> {
    let total = 0
    for (;;) {
      const deleted = await purge(now)
      total += deleted
      if (deleted < batch) return total
      // Let requests in between batches.
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  async function run(): Promise<void> {
    const now = context.now()
    const nonces = await purgeAll((at) => purgeExpiredNonces(context.db, at, batch), now)
    const keys = await purgeAll((at) => purgeExpiredIdempotencyKeys(context.db, at, batch), now)
    if (nonces || keys) context.logger.debug({ nonces, idempotencyKeys: keys }, 'purged expired redemption records')
  }

  return {
    run,
    tick() {
      const now = context.now()
      if (running || (now - lastRun < intervalMs && now >= lastRun)) return
      lastRun = now
      running = true
      run()
        .catch((error: unknown) => context.logger.warn({ err: error }, 'purging expired nonces and idempotency keys failed'))
        .finally(() => {
          running = false
        })
    },
  }
}
