import type { KnownResultCode } from '@benefitkit/shared'

/**
 * An answer to one of the platform's calls, already serialised: the body is
 * built once, stored (issueBenefit replays it byte for byte), signed and sent.
 * `code` travels alongside so logs and metrics never re-parse the body.
 */
export interface Answer {
  readonly code: KnownResultCode
  readonly body: string
}

/** protocol.md §3: resultMessage is at most 256 characters. */
const MAX_MESSAGE = 256

/**
 * The flat answer of the ISV-implemented APIs:
 * `{"success":…,"resultCode":…,"resultMessage":…, …extra}`.
 */
export function flatAnswer(code: KnownResultCode, message: string, extra?: Record<string, unknown>): Answer {
  const resultMessage = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message
  return { code, body: JSON.stringify({ success: code === 'SUCCESS', resultCode: code, resultMessage, ...extra }) }
}
