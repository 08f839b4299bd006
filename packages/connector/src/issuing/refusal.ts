import type { IssueBenefitRequest } from '@benefitkit/shared'
import type { IssuableTemplate } from './template-catalog.js'

/**
 * Why a template cannot be issued right now, in words for the platform's
 * operators — or `undefined` when it can. Only facts that need no lock: stock
 * and the per-user count are decided by conditional UPDATEs in the transaction.
 */
export function refusalOf(template: IssuableTemplate | undefined, request: IssueBenefitRequest, now: number): string | undefined {
  const id = request.benefitTemplateId
  if (!template) return `template ${id} does not exist`
  switch (template.state) {
    case 'SYNCED':
      break
    case 'FAILED':
      return `template ${id} is not issuable: its sync failed`
    default:
      return `template ${id} is not issuable yet: its sync is not confirmed (${template.state})`
  }
  if (request.clientCode !== undefined && request.clientCode !== template.clientCode) {
    return `template ${id} is synced for ${template.clientCode}, not ${request.clientCode}`
  }
  if (now < template.beginAt) return `template ${id} cannot be collected before ${template.beginTime}`
  if (now >= template.endAt) return `template ${id} could be collected until ${template.endTime}; the window has closed`
  if (template.validEndAt !== undefined && now >= template.validEndAt) {
    return `template ${id}: benefits are valid only until ${template.validity.type === 'ABSOLUTE' ? template.validity.validEndTime : ''}; nothing left to issue`
  }
  if (template.perUserLimit !== null && request.quantity > template.perUserLimit) {
    return `per-user limit reached: at most ${template.perUserLimit} per user, ${request.quantity} asked`
  }
  return undefined
}
