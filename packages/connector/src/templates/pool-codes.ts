import type { CodeType } from '@benefitkit/shared'

/**
 * A pool of codes the ISV was given (by a merchant), handed out before
 * generated ones. Pure parsing and validation; storing is in code-pool.ts.
 */

export interface PoolCode {
  code: string
  pin?: string
}

/**
 * Printable ASCII without spaces or commas: what a person can type, what a
 * `code,pin` line can hold, and what fits the protocol's benefitCode (≤ 256)
 * and benefitPin (≤ 64).
 */
const CODE_PATTERN = /^[\x21-\x2B\x2D-\x7E]{1,256}$/
const PIN_PATTERN = /^[\x21-\x2B\x2D-\x7E]{1,64}$/

/** Problems beyond this many are summarised: a 10 000-line file with a bad separator should not print 10 000 lines. */
const MAX_LISTED = 20

export interface ParsedCodes {
  codes: PoolCode[]
  /** How a problem names the i-th code: `codes.txt line 12`, `codes[3]`. */
  nameOf: (index: number) => string
}

/**
 * Reads a codes file: one code per line, `code,pin` for CODE_AND_PIN. Blank
 * lines and lines starting with `#` are skipped; CRLF is fine.
 */
export function parseCodesText(text: string, source: string, problems: string[]): ParsedCodes {
  const codes: PoolCode[] = []
  const lines: number[] = []
  const local: string[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (!line || line.startsWith('#')) return
    const parts = line.split(',').map((p) => p.trim())
    if (parts.length > 2) {
      local.push(`${source} line ${index + 1}: expected "code" or "code,pin", got ${parts.length} fields`)
      return
    }
    const [code, pin] = parts as [string, string?]
    codes.push(pin === undefined || pin === '' ? { code } : { code, pin })
    lines.push(index + 1)
  })
  pushLimited(problems, local)
  return { codes, nameOf: (i) => `${source} line ${lines[i] ?? '?'}` }
}

/** Reads inline `codes: [{code, pin?}]` from a template file or an API body. */
export function parseCodesArray(value: unknown, source: string, problems: string[]): ParsedCodes {
  // Entries that fail to parse are skipped, so positions are kept for messages.
  const positions: number[] = []
  const nameOf = (i: number) => `${source}[${positions[i] ?? i}]`
  if (!Array.isArray(value)) {
    problems.push(`${source}: must be an array of {"code": "...", "pin": "..."} objects`)
    return { codes: [], nameOf }
  }
  const codes: PoolCode[] = []
  const local: string[] = []
  value.forEach((entry, i) => {
    if (typeof entry === 'string') {
      codes.push({ code: entry })
      positions.push(i)
      return
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      local.push(`${source}[${i}]: must be {"code": "...", "pin"?: "..."} or a string`)
      return
    }
    const { code, pin, ...rest } = entry as Record<string, unknown>
    if (typeof code !== 'string') local.push(`${source}[${i}].code: ${code === undefined ? 'is required' : 'must be a string'}`)
    if (pin !== undefined && typeof pin !== 'string') local.push(`${source}[${i}].pin: must be a string`)
    for (const key of Object.keys(rest)) local.push(`${source}[${i}].${key}: unknown field`)
    if (typeof code === 'string') {
      codes.push(typeof pin === 'string' ? { code, pin } : { code })
      positions.push(i)
    }
  })
  pushLimited(problems, local)
  return { codes, nameOf }
}

/**
 * The rules a pool must follow for its template: the right shape for the code
 * type, no duplicates, and no more codes than the stock could ever use.
 * `room` is how many more codes the template can take.
 */
export function checkPoolCodes(
  codes: readonly PoolCode[],
  codeType: CodeType,
  room: number,
  source: string,
  nameOf: (index: number) => string = (i) => `${source}[${i}]`,
): string[] {
  const problems: string[] = []
  if (codes.length === 0) return problems
  if (codeType === 'URL') {
    return [`${source}: URL benefits use generated links; a code pool needs codeType CODE or CODE_AND_PIN`]
  }
  const seen = new Set<string>()
  const local: string[] = []
  codes.forEach(({ code, pin }, i) => {
    const at = nameOf(i)
    if (!CODE_PATTERN.test(code)) local.push(`${at}.code: must be 1–256 printable characters without spaces or commas`)
    if (seen.has(code)) local.push(`${at}.code: ${JSON.stringify(code.slice(0, 40))} appears twice`)
    seen.add(code)
    if (codeType === 'CODE_AND_PIN' && pin === undefined) local.push(`${at}.pin: is required for codeType CODE_AND_PIN`)
    if (codeType === 'CODE' && pin !== undefined) local.push(`${at}.pin: codeType CODE takes no PIN (use CODE_AND_PIN)`)
    if (pin !== undefined && !PIN_PATTERN.test(pin)) local.push(`${at}.pin: must be 1–64 printable characters without spaces or commas`)
  })
  pushLimited(problems, local)
  if (codes.length > room) {
    problems.push(`${source}: ${codes.length} codes but room for only ${room} (benefitBudget.totalQuantity caps the pool)`)
  }
  return problems
}

function pushLimited(into: string[], problems: string[]): void {
  into.push(...problems.slice(0, MAX_LISTED))
  if (problems.length > MAX_LISTED) into.push(`… and ${problems.length - MAX_LISTED} more problems like these`)
}
