export { Sandbox, createSandbox } from './sandbox.js'
export type { SandboxSnapshot, FaultSettings, InquiryResult, ReversalResult, WaitOptions } from './sandbox.js'
export type { SandboxOptions } from './options.js'
export { SandboxError, SandboxConfigError } from './errors.js'
export type { CallRecord, CallFilter, CallDirection } from './call-log.js'
export type { SandboxEvent, SandboxEventType, SandboxEventListener } from './events.js'
export { INBOUND_FAULT_KINDS, OUTBOUND_FAULT_KINDS, describeFault } from './faults.js'
export type { FaultSpec, FaultView, FaultKind, InboundFaultKind, OutboundFaultKind, ReviewSetting } from './faults.js'
export type { OutboundAttempt } from './isv-client.js'
export type { CollectInput, CollectResult, DecidedBy } from './super-app/collect.js'
export { REVIEW_OUTCOMES } from './state.js'
export type {
  ReviewOutcome,
  CollectOutcome,
  TemplateRecord,
  SyncRecord,
  NotifyDelivery,
  IssueRecord,
  InstanceRecord,
  UsedSyncRecord,
} from './state.js'
export { formatCall, formatEvent, formatCollect, formatState } from './format.js'
