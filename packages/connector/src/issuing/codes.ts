import { randomFillSync, randomInt } from 'node:crypto'

/**
 * Identifiers and redeemable secrets of issued instances. The redeemable
 * secrets (code, URL token) carry at least 100 bits from the OS CSPRNG, the
 * instance id 85 after its time prefix, so guessing a live one is hopeless; the
 * UNIQUE constraints on `instances` catch the astronomically rare collision.
 */

/**
 * Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand
 * is not mistyped (0/O, 1/I/L). 32 symbols = 5 bits each, so mapping random
 * bits onto it has no modulo bias.
 */
export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/**
 * Random bytes drawn from the CSPRNG a few kilobytes at a time: one call per
 * code costs more than the code itself, and every issued instance needs two.
 * Each byte is used once.
 */
const pool = Buffer.alloc(8192)
let poolOffset = pool.length

function randomChunk(size: number): Buffer {
  if (size > pool.length) return randomFillSync(Buffer.alloc(size))
  if (poolOffset + size > pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const chunk = pool.subarray(poolOffset, poolOffset + size)
  poolOffset += size
  return chunk
}

/** `chars` symbols of base32 taken from fresh random bytes (5 bits each). */
export function randomBase32(chars: number): string {
  const bytes = randomChunk(Math.ceil((chars * 5) / 8))
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5 && out.length < chars) {
      bits -= 5
      out += CODE_ALPHABET[(buffer >>> bits) & 31]
    }
    buffer &= (1 << bits) - 1
  }
  return out
}

/** Symbols of the time prefix of an instance id: 9 × 5 = 45 bits of epoch ms, in order until the year 3084. */
const TIME_SYMBOLS = 9
const TIME_RANGE = 32 ** TIME_SYMBOLS
/** Random symbols after it: 17 × 5 = 85 bits. */
const ID_RANDOM_SYMBOLS = 17

let lastTime = NaN
let lastTimePrefix = ''

/** `ms` as TIME_SYMBOLS base32 symbols, most significant first, so the strings sort as the numbers do. */
export function base32Time(ms: number): string {
  if (ms === lastTime) return lastTimePrefix
  // Past the year 3084 the prefix wraps: ids stay unique (the random part), only less ordered.
  let rest = ((Math.floor(ms) % TIME_RANGE) + TIME_RANGE) % TIME_RANGE
  let out = ''
  for (let i = 0; i < TIME_SYMBOLS; i++) {
    out = CODE_ALPHABET[rest % 32] + out
    rest = Math.floor(rest / 32)
  }
  lastTime = ms
  lastTimePrefix = out
  return out
}

/**
 * `bi` + 26 symbols: the benefitInstanceId the platform stores. The first 9
 * are the time of issue (epoch ms), the other 17 random (85 bits), so new
 * instances land at the right edge of the primary-key index instead of on a
 * random page, and the id stays unguessable. Crockford's alphabet is in ASCII
 * order, so ids sort by the time they were issued.
 */
export function generateInstanceId(now: number = Date.now()): string {
  return `bi${base32Time(now)}${randomBase32(ID_RANDOM_SYMBOLS)}`
}

/** 20 symbols (100 bits) in groups of four for people: `7K3Q-M9XD-2VHP-RT4B-WN8C`. */
export function generateBenefitCode(): string {
  const s = randomBase32(20)
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16)}`
}

/** Six digits, uniform. Only a second factor: the code itself already carries 100 bits. */
export function generatePin(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0')
}

/** 26 lower-case symbols (130 bits) for `/r/<token>` links of URL benefits. */
export function generateUrlToken(): string {
  return randomBase32(26).toLowerCase()
}
