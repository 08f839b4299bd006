import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { z } from 'zod'
import { CODE_TYPES, isKnownClientCode, SyncBenefitRequest, type CodeType } from '@benefitkit/shared'
import { randomBase32 } from '../issuing/codes.js'
import { checkPoolCodes, parseCodesArray, parseCodesText, type PoolCode } from './pool-codes.js'

/**
 * A template file (product.md): the syncBenefit fields of protocol.md §6.1
 * without benefitSyncRequestId (the connector makes one), benefitTemplateId
 * optional (generated when absent), plus an optional code pool as `codes`
 * (inline) or `codesFile` (one code per line, `code,pin` for CODE_AND_PIN).
 *
 * Validation lists every problem at once, each naming its field, and checks
 * the exact syncBenefit body with the shared schema so the platform never sees
 * a body we would refuse ourselves.
 */

export interface ParsedTemplate {
  /** The syncBenefit request, validated; serialise it with syncBodyOf. */
  request: SyncBenefitRequest
  codes: PoolCode[]
  warnings: string[]
}

export interface ParseTemplateOptions {
  now: number
  /** Where a relative codesFile is looked up (the template file's folder). */
  baseDir?: string
  /**
   * Whether `codesFile` may name a file on this machine. The CLI allows it; an
   * HTTP API must not (a caller could read any file the daemon can).
   */
  allowCodesFile?: boolean
}

export type ParseTemplateResult = { ok: true; value: ParsedTemplate } | { ok: false; problems: string[] }

const SYNC_FIELDS = [
  'benefitTemplateId',
  'benefitProductCode',
  'benefitTitle',
  'benefitBeginTime',
  'benefitEndTime',
  'benefitValidPeriod',
  'clientCode',
  'benefitContent',
  'benefitBudget',
] as const

/** Known keys per object path: anything else is most likely a typo the schema would silently drop. */
const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': [...SYNC_FIELDS, 'codes', 'codesFile'],
  benefitValidPeriod: ['type', 'validBeginTime', 'validEndTime', 'validDays'],
  benefitContent: ['amount', 'description', 'useScene', 'codeType'],
  'benefitContent.amount': ['currency', 'value'],
  benefitBudget: ['totalQuantity', 'perUserLimit'],
}

/** A template id for files that leave it out: `tpl_` + 20 symbols. */
export function generateTemplateId(): string {
  return `tpl_${randomBase32(20).toLowerCase()}`
}

/** `sync_<templateId>_<random>`, or `sync_<random>` when that would pass the 64-char limit. */
export function generateSyncRequestId(templateId: string): string {
  const readable = `sync_${templateId}_${randomBase32(8).toLowerCase()}`
  return readable.length <= 64 ? readable : `sync_${randomBase32(24).toLowerCase()}`
}

/** Parses and validates a template file's JSON value; never throws. */
export function parseTemplateInput(input: unknown, options: ParseTemplateOptions): ParseTemplateResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: ['the template must be a JSON object with the syncBenefit fields'] }
  }
  const record = input as Record<string, unknown>
  const problems: string[] = []
  const warnings: string[] = []

  if ('benefitSyncRequestId' in record) {
    problems.push('benefitSyncRequestId: the connector generates it; remove it from the template')
  }
  problems.push(...unknownKeys(record).filter((p) => !p.startsWith('benefitSyncRequestId:')))

  const templateId = record.benefitTemplateId === undefined ? generateTemplateId() : record.benefitTemplateId
  const candidate: Record<string, unknown> = { benefitSyncRequestId: 'pending' }
  for (const field of SYNC_FIELDS) if (record[field] !== undefined) candidate[field] = record[field]
  candidate.benefitTemplateId = templateId
  const parsed = SyncBenefitRequest.safeParse(candidate)
  if (!parsed.success) problems.push(...issueLines(parsed.error))

  const codes = readPool(record, options, problems)

  if (parsed.success) {
    const request = { ...parsed.data, benefitSyncRequestId: generateSyncRequestId(parsed.data.benefitTemplateId) }
    problems.push(...businessProblems(request, options.now))
    if (!isKnownClientCode(request.clientCode)) {
      warnings.push(`clientCode ${request.clientCode} is not one the platform names today; check the spelling`)
    }
    const { perUserLimit, totalQuantity } = request.benefitBudget
    if (perUserLimit !== undefined && perUserLimit > totalQuantity) {
      warnings.push(`benefitBudget.perUserLimit (${perUserLimit}) is above totalQuantity (${totalQuantity}); the stock is the real limit`)
    }
    problems.push(...checkPoolCodes(codes.codes, request.benefitContent.codeType, totalQuantity, codes.source, codes.nameOf))
    if (problems.length === 0) return { ok: true, value: { request, codes: codes.codes, warnings } }
  } else {
    // Still list the pool's own problems, judged by the codeType the file names (if it names a valid one).
    const codeType = (record.benefitContent as { codeType?: unknown } | undefined)?.codeType
    if ((CODE_TYPES as readonly unknown[]).includes(codeType)) {
      problems.push(...checkPoolCodes(codes.codes, codeType as CodeType, Number.POSITIVE_INFINITY, codes.source, codes.nameOf))
    }
  }
  return { ok: false, problems }
}

/**
 * Rules the wire schema cannot know: a window already over, or validity that
 * ends before anyone can collect, would give a template nobody can use.
 */
function businessProblems(request: SyncBenefitRequest, now: number): string[] {
  const problems: string[] = []
  const beginAt = Date.parse(request.benefitBeginTime)
  const endAt = Date.parse(request.benefitEndTime)
  if (endAt <= now) problems.push('benefitEndTime: is in the past; no one could collect this benefit')
  const period = request.benefitValidPeriod
  if (period.type === 'ABSOLUTE' && Date.parse(period.validEndTime) <= beginAt) {
    problems.push('benefitValidPeriod.validEndTime: must be after benefitBeginTime, or every benefit issued would already be expired')
  }
  return problems
}

function readPool(
  record: Record<string, unknown>,
  options: ParseTemplateOptions,
  problems: string[],
): { codes: PoolCode[]; source: string; nameOf: (i: number) => string } {
  const none = { codes: [], source: 'codes', nameOf: (i: number) => `codes[${i}]` }
  if (record.codes !== undefined && record.codesFile !== undefined) {
    problems.push('codes, codesFile: give one or the other, not both')
    return none
  }
  if (record.codes !== undefined) return { ...parseCodesArray(record.codes, 'codes', problems), source: 'codes' }
  if (record.codesFile === undefined) return none
  if (!options.allowCodesFile) {
    problems.push('codesFile: not accepted here; send the codes inline as "codes"')
    return none
  }
  if (typeof record.codesFile !== 'string' || !record.codesFile) {
    problems.push('codesFile: must be a file path')
    return none
  }
  const path = resolve(options.baseDir ?? '.', record.codesFile)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    problems.push(`codesFile: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
    return none
  }
  return { ...parseCodesText(text, `codesFile ${record.codesFile}`, problems), source: `codesFile ${record.codesFile}` }
}

/** `path: unknown field` for every key the template format does not have. */
function unknownKeys(record: Record<string, unknown>): string[] {
  const problems: string[] = []
  const visit = (value: unknown, path: string) => {
    const known = KNOWN_KEYS[path]
    if (!known || typeof value !== 'object' || value === null || Array.isArray(value)) return
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key
      if (!known.includes(key)) problems.push(`${childPath}: unknown field`)
      else visit(child, childPath)
    }
  }
  visit(record, '')
  return problems
}

/** One line per zod issue, each naming its field (as formatIssues does for answers). */
function issueLines(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.')
    const message = issue.code === 'invalid_type' && /received undefined$/.test(issue.message) ? 'is required' : issue.message
    return path ? `${path}: ${message}` : message
  })
}
