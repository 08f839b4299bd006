import { randomBytes } from 'node:crypto'

/**
 * Unique ids that sort by creation time: `<prefix><ms since epoch, base36, 9
 * chars><16 random chars>`. New rows then land at the right edge of the
 * unique indexes on redemptions and outbox instead of on a random page, so a
 * commit writes a few index pages rather than one per row.
 */
export function timeOrderedId(prefix: string, now: number): string {
  return `${prefix}${now.toString(36).padStart(9, '0')}${randomBytes(12).toString('base64url')}`
}
