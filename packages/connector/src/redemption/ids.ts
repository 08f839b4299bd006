import { randomFillSync } from 'node:crypto'

/** Random bytes per id: 16 base64url characters, 96 bits. */
const RANDOM_BYTES = 12
/**
 * Randomness is drawn from the CSPRNG a pool at a time (one call per 341 ids
 * instead of one per id); every byte is used once, then the pool is refilled.
 */
const pool = Buffer.alloc(RANDOM_BYTES * 341)
let used = pool.length

/**
 * Unique ids that sort by creation time: `<prefix><ms since epoch, base36, 9
 * chars><16 random chars>`. New rows then land at the right edge of the
 * unique indexes on redemptions and outbox instead of on a random page, so a
 * commit writes a few index pages rather than one per row.
 */
export function timeOrderedId(prefix: string, now: number): string {
  if (used + RANDOM_BYTES > pool.length) {
    randomFillSync(pool)
    used = 0
  }
  const random = pool.toString('base64url', used, used + RANDOM_BYTES)
  used += RANDOM_BYTES
  return `${prefix}${now.toString(36).padStart(9, '0')}${random}`
}
