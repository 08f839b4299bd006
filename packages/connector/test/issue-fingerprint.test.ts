import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { benefitApis, keyParameterFingerprint, type IssueBenefitRequest } from '@benefitkit/shared'
import { issueFingerprint } from '../src/issuing/issue.js'

/**
 * issueBenefit computes its fingerprint without the generic canonicalisation:
 * it must stay byte for byte the contract's, since fingerprints are stored and
 * compared with those of later repeats (also across versions of the connector).
 */

test("the contract's key parameters of issueBenefit are the four the fast fingerprint writes", () => {
  assert.equal([...benefitApis.issueBenefit.keyParameters].sort(), ['benefitTemplateId', 'clientCode', 'quantity', 'userId'])
})

test('issueFingerprint is keyParameterFingerprint, byte for byte', () => {
  const requests: IssueBenefitRequest[] = [
    { benefitIssueRequestId: 'a', userId: 'u1', benefitTemplateId: 'tpl_1', quantity: 1 },
    { benefitIssueRequestId: 'b', userId: 'u"2\\', benefitTemplateId: 'tpl \u00e9\u4e2d\ud83d\ude00', quantity: 100, clientCode: 'ALIPAY_HK' },
    { benefitIssueRequestId: 'c', userId: '\u0000\n', benefitTemplateId: '</script>', quantity: 7, clientCode: 'GCASH' },
  ]
  for (const request of requests) {
    for (const clientCode of [null, 'ALIPAY_HK', request.clientCode ?? null]) {
      assert.is(issueFingerprint(request, clientCode), keyParameterFingerprint('issueBenefit', { ...request, clientCode }))
    }
  }
})

test.run()
