import type { Context } from 'koa'
import { parseProtocolTime } from '@benefitkit/shared'
import { readRawBody } from '../http/raw-body.js'
import { AdminError } from './errors.js'

/** Query and body parsing for the admin API: every bad input is a 400 that names the field. */

const MAX_LIMIT = 500

export function limitParam(ctx: Context, fallback = 50): number {
  const raw = queryString(ctx, 'limit')
  if (raw === undefined) return fallback
  const limit = Number(raw)
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new AdminError('INVALID_REQUEST', `limit must be an integer from 1 to ${MAX_LIMIT}`)
  }
  return limit
}

export function integerParam(ctx: Context, name: string): number | undefined {
  const raw = queryString(ctx, name)
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < 0) throw new AdminError('INVALID_REQUEST', `${name} must be a non-negative integer`)
  return value
}

export function enumParam<T extends string>(ctx: Context, name: string, allowed: readonly T[]): T | undefined {
  const raw = queryString(ctx, name)
  if (raw === undefined) return undefined
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new AdminError('INVALID_REQUEST', `${name} must be one of ${allowed.join(', ')}`)
  }
  return raw as T
}

export function queryString(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name]
  if (Array.isArray(value)) throw new AdminError('INVALID_REQUEST', `${name} given more than once`)
  return value === undefined || value === '' ? undefined : value
}

/** A time as epoch ms: ISO 8601 with an offset, or epoch milliseconds. */
export function timeValue(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value
  if (typeof value === 'string') {
    if (/^\d{1,15}$/.test(value)) return Number(value)
    const parsed = parseProtocolTime(value)
    if (parsed !== undefined) return parsed
  }
  throw new AdminError('INVALID_REQUEST', `${name} must be an ISO 8601 time with an offset (2026-11-24T08:00:00+08:00) or epoch milliseconds`)
}

/** A route's `:id` that must be a positive integer. */
export function idParam(value: string | undefined, name: string): number {
  const id = Number(value)
  if (!Number.isSafeInteger(id) || id < 1) throw new AdminError('INVALID_REQUEST', `${name} must be a positive integer`)
  return id
}

/** The JSON object body of a POST. */
export async function jsonBody(ctx: Context, limit: number): Promise<Record<string, unknown>> {
  let raw: Buffer
  try {
    raw = await readRawBody(ctx.req, limit)
  } catch (error) {
    throw new AdminError('INVALID_REQUEST', (error as Error).message)
  }
  if (raw.length === 0) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(raw.toString('utf8'))
  } catch {
    throw new AdminError('INVALID_REQUEST', 'the body must be JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AdminError('INVALID_REQUEST', 'the body must be a JSON object')
  }
  return parsed as Record<string, unknown>
}
