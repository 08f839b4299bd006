/**
 * What the sandbox has seen and decided, in memory: the platform's side
 * (template syncs and their review, used-benefit syncs) and the super app's side
 * (released templates, collections, the users' wallets). Records are plain
 * JSON-able objects so the control API can hand out copies unchanged.
 */
import type {
  BenefitStatus,
  ExternalBenefitDetail,
  SyncBenefitRequest,
  SyncFailCode,
  SyncStatus,
  SyncUsedBenefitRequest,
} from '@benefitkit/shared'
import type { OutboundAttempt } from './isv-client.js'

export type ResultStatus = 'S' | 'F' | 'U'

/** The review decision for a template: approve, or one of the seed's failure codes. */
export type ReviewOutcome = 'APPROVE' | SyncFailCode
export const REVIEW_OUTCOMES = ['APPROVE', 'AUDIT_FAIL', 'INNER_PROCESS_FAIL', 'SYNC_CLIENT_FAIL'] as const satisfies readonly ReviewOutcome[]

export interface NotifyDelivery {
  /** PENDING until the ISV answers `success: true` (signed); GAVE_UP only when `notifyMaxAttempts` is set and reached. */
  state: 'PENDING' | 'ACKNOWLEDGED' | 'GAVE_UP'
  attempts: OutboundAttempt[]
  nextAttemptAt?: string
  acknowledgedAt?: string
}

export interface SyncRecord {
  benefitSyncRequestId: string
  benefitTemplateId: string
  request: SyncBenefitRequest
  receivedAt: string
  /** How many times this id arrived (the first time included), replays and rejected changes too. */
  receivedCount: number
  syncStatus: SyncStatus
  syncFailCode?: SyncFailCode
  syncFailReason?: string
  reviewedAt?: string
  /** Present once reviewed: the delivery of notifyBenefitSync. */
  notify?: NotifyDelivery
}

export interface TemplateRecord {
  benefitTemplateId: string
  /** Every syncBenefit id seen for this template, oldest first. */
  syncRequestIds: string[]
  /** The review state of the latest sync. */
  syncStatus: SyncStatus
  syncFailCode?: SyncFailCode
  /** The body the platform approved; what a later sync may not change (protocol.md §6.1). */
  approved?: SyncBenefitRequest
  released: boolean
  releasedAt?: string
}

export interface InstanceRecord {
  benefitInstanceId: string
  benefitTemplateId: string
  userId: string
  benefitIssueRequestId: string
  /** The super app's view: ACTIVATED until syncUsedBenefit (USED) or a reversal (REVERSED). */
  status: BenefitStatus
  /** The ExternalBenefitDetail exactly as the ISV answered it. */
  detail: ExternalBenefitDetail
  issuedAt: string
  usedAt?: string
  benefitUseRequestId?: string
  reversedAt?: string
}

export type CollectOutcome = 'ISSUED' | 'REJECTED' | 'REVERSED' | 'UNKNOWN'

export interface IssueRecord {
  benefitIssueRequestId: string
  userId: string
  benefitTemplateId: string
  quantity: number
  clientCode?: string
  /** RUNNING while the flow is still calling the ISV. */
  state: 'RUNNING' | 'DONE'
  outcome?: CollectOutcome
  /** The code that decided the outcome (the ISV's, or a local one such as `TIMEOUT`). */
  code?: string
  message?: string
  attempts: OutboundAttempt[]
  benefitDetails: ExternalBenefitDetail[]
  startedAt: string
  finishedAt?: string
}

export interface UsedSyncRecord {
  benefitUseRequestId: string
  /** The first accepted request. */
  request: SyncUsedBenefitRequest
  /**
   * Every verified, well-formed body that arrived for this id, as raw text, in
   * order — also those answered by an injected fault — so a test can check the
   * ISV resent the same bytes every time.
   */
  bodies: string[]
  /** How many of them the API processed (replays included). */
  receivedCount: number
  /** The code answered to the first request (replays get the same). */
  resultCode: string
  /** Whether the super app knew the instance (it learns instances from issueBenefit answers). */
  knownInstance: boolean
  receivedAt: string
}

/** A stored answer under an idempotency id: same key parameters → same body, re-signed. */
export interface StoredAnswer {
  fingerprint: string
  body: string
}

export class SandboxState {
  readonly syncs = new Map<string, SyncRecord>()
  readonly templates = new Map<string, TemplateRecord>()
  readonly instances = new Map<string, InstanceRecord>()
  /** userId → instance ids, in the order they were issued. */
  readonly wallets = new Map<string, string[]>()
  readonly issues = new Map<string, IssueRecord>()
  readonly usedSyncs = new Map<string, UsedSyncRecord>()
  /** `${api}:${id}` → the answer given, for idempotent replays. */
  readonly answers = new Map<string, StoredAnswer>()
  /** benefitUseRequestId → every verified body received (shared with its UsedSyncRecord). */
  readonly usedBodies = new Map<string, string[]>()

  clear(): void {
    this.syncs.clear()
    this.templates.clear()
    this.instances.clear()
    this.wallets.clear()
    this.issues.clear()
    this.usedSyncs.clear()
    this.answers.clear()
    this.usedBodies.clear()
  }

  /** Records a syncUsedBenefit body as it arrived; returns the list for this id. */
  recordUsedBody(benefitUseRequestId: string, body: string): string[] {
    const list = this.usedBodies.get(benefitUseRequestId) ?? []
    list.push(body)
    this.usedBodies.set(benefitUseRequestId, list)
    return list
  }

  /** Adds (or refreshes) instances the ISV reported, into the user's wallet. */
  addInstances(issue: IssueRecord, details: readonly ExternalBenefitDetail[], at: string): void {
    for (const detail of details) {
      const existing = this.instances.get(detail.benefitInstanceId)
      if (existing) {
        // A retry or an inquiry reports the same instance again: keep what the super app already did to it.
        existing.detail = detail
        continue
      }
      this.instances.set(detail.benefitInstanceId, {
        benefitInstanceId: detail.benefitInstanceId,
        benefitTemplateId: detail.benefitTemplateId,
        userId: issue.userId,
        benefitIssueRequestId: issue.benefitIssueRequestId,
        status: detail.status,
        detail,
        issuedAt: at,
      })
      const wallet = this.wallets.get(issue.userId) ?? []
      wallet.push(detail.benefitInstanceId)
      this.wallets.set(issue.userId, wallet)
    }
  }

  instancesOfIssue(benefitIssueRequestId: string): InstanceRecord[] {
    return [...this.instances.values()].filter((i) => i.benefitIssueRequestId === benefitIssueRequestId)
  }
}
