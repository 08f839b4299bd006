/** A sandbox wired to a fake ISV over real HTTP on loopback; close() in a finally. */
import type { PlatformApiName } from '@benefitkit/shared'
import { createSandbox, type Sandbox, type SandboxOptions } from '../../src/index.js'
import { FakeIsv } from './fake-isv.js'
import { callPlatform, type CallOptions, type PlatformAnswer } from './isv-caller.js'
import { CLIENT_ID, type TestKeys } from './keys.js'

export interface Harness {
  sandbox: Sandbox
  isv: FakeIsv
  url: string
  /** A signed call from the ISV to the platform. */
  call(api: PlatformApiName | string, body: unknown, options?: Partial<CallOptions>): Promise<PlatformAnswer>
  /** Syncs a template and waits for its review to be acknowledged. */
  syncApproved(templateId: string): Promise<void>
  close(): Promise<void>
}

export async function harness(keys: TestKeys, options: Partial<SandboxOptions> = {}): Promise<Harness> {
  const isv = new FakeIsv(keys.isvSigning, keys.platform.publicKeyBase64)
  const isvUrl = await isv.start()
  const sandbox = createSandbox({
    clientId: CLIENT_ID,
    platformPrivateKey: keys.platform.privateKeyBase64,
    isvPublicKeys: { '1': keys.isv.publicKeyBase64 },
    isvBaseUrl: isvUrl,
    reviewDelayMs: 20,
    retryBackoffMs: 5,
    retryBackoffMaxMs: 20,
    notifyRetryScheduleMs: [20, 40],
    requestTimeoutMs: 1000,
    ...options,
  })
  const { url } = await sandbox.start()
  const call = (api: PlatformApiName | string, body: unknown, extra: Partial<CallOptions> = {}) =>
    callPlatform(url, api, body, { key: keys.isvSigning, platformKeyring: keys.platformKeyring, ...extra })
  return {
    sandbox,
    isv,
    url,
    call,
    async syncApproved(templateId) {
      const id = `sync-${templateId}`
      const answer = await call('syncBenefit', syncRequest(id, templateId))
      if (answer.json?.result?.resultCode !== 'SUCCESS') throw new Error(`syncBenefit answered ${answer.text}`)
      await sandbox.waitFor((s) => s.syncs.find((x) => x.benefitSyncRequestId === id)?.notify?.state === 'ACKNOWLEDGED')
    },
    async close() {
      await sandbox.stop()
      await isv.stop()
    },
  }
}

export function syncRequest(benefitSyncRequestId: string, benefitTemplateId: string, overrides: Record<string, unknown> = {}) {
  return {
    benefitSyncRequestId,
    benefitTemplateId,
    benefitProductCode: 'SPICE_SECRET_VOUCHER',
    benefitTitle: 'HKD 10 off',
    benefitBeginTime: '2026-01-01T00:00:00+08:00',
    benefitEndTime: '2030-01-01T00:00:00+08:00',
    benefitValidPeriod: { type: 'RELATIVE', validDays: 30 },
    clientCode: 'ALIPAY_HK',
    benefitContent: { amount: { currency: 'HKD', value: '1000' }, codeType: 'CODE' },
    benefitBudget: { totalQuantity: 100, perUserLimit: 2 },
    ...overrides,
  }
}

export function usedRequest(benefitUseRequestId: string, instance: { benefitInstanceId: string; benefitTemplateId: string; userId: string }, overrides: Record<string, unknown> = {}) {
  return {
    benefitUseRequestId,
    userId: instance.userId,
    clientCode: 'ALIPAY_HK',
    benefitInstanceId: instance.benefitInstanceId,
    benefitTemplateId: instance.benefitTemplateId,
    benefitUseDate: '2026-11-24T10:00:00.000+08:00',
    useScene: 'MINI_PROGRAM',
    usedAmount: { currency: 'HKD', value: '1000' },
    ...overrides,
  }
}
