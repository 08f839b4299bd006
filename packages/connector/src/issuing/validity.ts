import { formatProtocolTime } from '@benefitkit/shared'
import type { IssuableTemplate } from './template-catalog.js'

const DAY_MS = 86_400_000

export interface Validity {
  activateAt: number
  expireAt: number
  /** Protocol strings in the template's offset, as the platform shows them. */
  activateTime: string
  expireTime: string
}

/**
 * When an instance issued at `now` can be used: the template's absolute window,
 * or `validDays` days from the moment of issue.
 */
export function validityOf(template: IssuableTemplate, now: number): Validity {
  const activateAt = template.validBeginAt ?? now
  const expireAt =
    template.validEndAt ?? now + (template.validity.type === 'RELATIVE' ? template.validity.validDays : 0) * DAY_MS
  return {
    activateAt,
    expireAt,
    activateTime: formatProtocolTime(activateAt, template.offsetMinutes),
    expireTime: formatProtocolTime(expireAt, template.offsetMinutes),
  }
}
