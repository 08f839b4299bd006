/**
 * The super app operator's release (seed Flow 2, before step 1): only then can
 * users see and collect a benefit, and only an approved template can be released.
 */
import { SandboxError } from '../errors.js'
import type { EventHub } from '../events.js'
import type { SandboxState, TemplateRecord } from '../state.js'

export function releaseTemplate(state: SandboxState, events: EventHub, templateId: string): TemplateRecord {
  const template = state.templates.get(templateId)
  if (!template) throw new SandboxError('TEMPLATE_NOT_FOUND', `no template ${templateId} was synced to the sandbox`, 404)
  if (!template.approved) {
    throw new SandboxError(
      'TEMPLATE_NOT_APPROVED',
      `template ${templateId} is ${template.syncStatus}${template.syncFailCode ? ` (${template.syncFailCode})` : ''}; only approved templates can be released`,
      409,
    )
  }
  if (!template.released) {
    template.released = true
    template.releasedAt = new Date().toISOString()
    events.emit({ type: 'template-released', benefitTemplateId: templateId })
  }
  return structuredClone(template)
}
