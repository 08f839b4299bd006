/**
 * One-line human descriptions of calls and events, for the CLI and for demos
 * that print a timeline of who called whom with which result.
 */
import type { CallRecord } from './call-log.js'
import type { SandboxEvent } from './events.js'
import type { SandboxSnapshot } from './sandbox.js'
import type { CollectResult } from './super-app/collect.js'

function clock(iso: string): string {
  // HH:MM:SS.mmm in local time: a timeline is read by a person next to their own clock.
  const d = new Date(iso)
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

/** `10:00:00.120  ISV → platform  syncBenefit  sync-1  S SUCCESS  #1  4ms` */
export function formatCall(call: CallRecord): string {
  const who = call.direction === 'inbound' ? 'ISV → platform' : 'platform → ISV'
  const parts = [
    clock(call.at),
    who.padEnd(14),
    call.api.padEnd(19),
    (call.id ?? '-').padEnd(12),
    `${call.status} ${call.code}`,
    `#${call.attempt}`,
    `${call.durationMs}ms`,
  ]
  if (call.replayed) parts.push('(replayed)')
  if (call.fault) parts.push(`[fault: ${call.fault}]`)
  if (call.status !== 'S' && call.message && call.message !== call.code) parts.push(`— ${call.message}`)
  return parts.join('  ')
}

/** A timeline line for any event; calls use formatCall. */
export function formatEvent(event: SandboxEvent): string {
  if (event.type === 'call') return formatCall(event.call)
  const at = clock(event.at)
  switch (event.type) {
    case 'sync-accepted':
      return `${at}  platform        review of ${event.benefitTemplateId} (${event.benefitSyncRequestId}) starts`
    case 'sync-reviewed':
      return `${at}  platform        review of ${event.benefitTemplateId}: ${event.syncStatus}${event.syncFailCode ? ` ${event.syncFailCode}` : ''}`
    case 'notify-acknowledged':
      return `${at}  platform        notifyBenefitSync ${event.benefitSyncRequestId} acknowledged after ${event.attempts} attempt(s)`
    case 'notify-retry-scheduled':
      return `${at}  platform        notifyBenefitSync ${event.benefitSyncRequestId} not acknowledged (${event.lastCode}); attempt ${event.attempt} in ${event.inMs}ms`
    case 'notify-gave-up':
      return `${at}  platform        notifyBenefitSync ${event.benefitSyncRequestId} GAVE UP after ${event.attempts} attempts (${event.lastCode})`
    case 'template-released':
      return `${at}  super app       operator released ${event.benefitTemplateId}`
    case 'collect-finished':
      return `${at}  super app       ${event.issue.userId} collected ${event.issue.benefitTemplateId}: ${event.issue.outcome} (${event.issue.code}) after ${event.issue.attempts.length} call(s)`
    case 'benefit-used':
      return `${at}  super app       ${event.benefitInstanceId} deactivated (used)${event.knownInstance ? '' : ' — instance unknown to the sandbox'}`
    case 'fault-fired':
      return `${at}  sandbox         fault ${event.fault.id} (${event.fault.kind}) hits ${event.api}`
    case 'outage':
      return `${at}  sandbox         outage ${event.on ? 'ON: platform APIs answer 503' : 'OFF'}`
    case 'error':
      return `${at}  sandbox         ERROR ${event.message}`
  }
}

export function formatCollect(result: CollectResult): string {
  const lines = [
    `${result.outcome}  ${result.benefitIssueRequestId}  (${result.code}: ${result.message}; decided by ${result.decidedBy})`,
    ...result.attempts.map(
      (a) => `  ${a.api.padEnd(19)} #${a.attempt}  ${a.status} ${a.code}${a.fault ? `  [fault: ${a.fault}]` : ''}`,
    ),
    ...result.benefitDetails.map(
      (d) =>
        `  instance ${d.benefitInstanceId}  ${d.status}${d.benefitCode ? `  code ${d.benefitCode}` : ''}${d.benefitPin ? ` pin ${d.benefitPin}` : ''}${d.benefitUrl ? `  ${d.benefitUrl}` : ''}`,
    ),
  ]
  return lines.join('\n')
}

export function formatState(state: SandboxSnapshot): string {
  const lines: string[] = []
  lines.push(`platform  ${state.url ?? '(not listening)'}   ISV ${state.isvBaseUrl ?? '(unknown)'}   client ${state.clientId}`)
  if (state.outage) lines.push('OUTAGE: platform APIs answer 503')
  lines.push('', `templates (${state.templates.length})`)
  for (const t of state.templates) {
    lines.push(`  ${t.benefitTemplateId}  ${t.syncStatus}${t.syncFailCode ? ` ${t.syncFailCode}` : ''}${t.released ? '  released' : ''}`)
  }
  lines.push('', `syncs (${state.syncs.length})`)
  for (const s of state.syncs) {
    const notify = s.notify ? `notify ${s.notify.state} after ${s.notify.attempts.length} attempt(s)` : 'notify not sent yet'
    lines.push(`  ${s.benefitSyncRequestId}  ${s.benefitTemplateId}  ${s.syncStatus}${s.syncFailCode ? ` ${s.syncFailCode}` : ''}  ${notify}`)
  }
  lines.push('', `collections (${state.issues.length})`)
  for (const i of state.issues) {
    lines.push(`  ${i.benefitIssueRequestId}  ${i.userId}  ${i.benefitTemplateId} ×${i.quantity}  ${i.outcome ?? i.state}${i.code ? ` (${i.code})` : ''}`)
  }
  lines.push('', `wallets (${Object.keys(state.wallets).length} users, ${state.instances.length} instances)`)
  for (const [user, ids] of Object.entries(state.wallets)) {
    const shown = ids.map((id) => `${id} ${state.instances.find((i) => i.benefitInstanceId === id)?.status ?? '?'}`)
    lines.push(`  ${user}: ${shown.join(', ')}`)
  }
  lines.push('', `used-benefit syncs (${state.usedSyncs.length})`)
  for (const u of state.usedSyncs) {
    lines.push(`  ${u.benefitUseRequestId}  ${u.request.benefitInstanceId}  ${u.resultCode}  received ${u.receivedCount}×${u.knownInstance ? '' : '  (instance unknown)'}`)
  }
  if (state.faults.length > 0) {
    lines.push('', `faults (${state.faults.length})`)
    for (const f of state.faults) lines.push(`  ${formatFaultLine(f)}`)
  }
  lines.push('', `${state.callCount} call(s) recorded; see \`calls\``)
  return lines.join('\n')
}

export function formatFaultLine(f: SandboxSnapshot['faults'][number]): string {
  const scope = f.remaining !== undefined ? `${f.remaining} of ${f.times} left` : `p=${f.probability}`
  return `${f.id}  ${f.direction} ${f.api} ${f.kind}${f.code ? ` ${f.code}` : ''}${f.httpStatus ? ` ${f.httpStatus}` : ''}${f.delayMs !== undefined ? ` ${f.delayMs}ms` : ''}${f.afterProcessing ? ' after processing' : ''}  ${scope}  fired ${f.fired}`
}
