import type { Context } from 'koa'
import { getRequestId } from '../observability/request-labels.js'

/**
 * Admin API errors, shaped like the redemption API's:
 * `{"error":{"code","message","requestId"}}` with a fitting HTTP status.
 */

export const ADMIN_ERROR_STATUS = {
  INVALID_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INTERNAL: 500,
} as const
export type AdminErrorCode = keyof typeof ADMIN_ERROR_STATUS

export class AdminError extends Error {
  override readonly name = 'AdminError'
  constructor(
    readonly code: AdminErrorCode,
    message: string,
    /** Every problem, when there are several (an invalid template). */
    readonly problems?: readonly string[],
  ) {
    super(message)
  }

  get status(): number {
    return ADMIN_ERROR_STATUS[this.code]
  }
}

export function sendError(ctx: Context, code: AdminErrorCode, message: string, problems?: readonly string[]): void {
  ctx.status = ADMIN_ERROR_STATUS[code]
  ctx.body = { error: { code, message, requestId: getRequestId(ctx), ...(problems ? { problems } : {}) } }
}
