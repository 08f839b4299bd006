/**
 * @benefitkit/miniprogram-sdk: redeem benefits from mini-program checkout code.
 * The core has no platform import; pick a transport from `/fetch`, `/alipay` or `/wechat`.
 * @module
 */
export { createRedemptionClient } from './client.js'
export type { CallOptions, RedeemOptions, RedemptionClient, RedemptionClientOptions } from './client.js'
export type { Auth } from './auth.js'
export type { RetryOptions } from './retry.js'
export type { RetryEvent } from './send.js'
export { ApiError, BenefitKitError, NetworkError, TimeoutError, isBenefitKitError } from './errors.js'
export type { BenefitKitErrorOptions } from './errors.js'
export { REDEMPTION_ERROR_STATUS, isRetryableAnswer } from './error-codes.js'
export type { BenefitKitErrorCode, ClientErrorCode, RedemptionErrorCode } from './error-codes.js'
export { TransportError, isTransportError } from './transport.js'
export type { Transport, TransportErrorKind, TransportErrorOptions, TransportRequest, TransportResponse } from './transport.js'
export { createIdempotencyKey } from './random.js'
export { signingString } from './hmac.js'
export type { SigningInput } from './hmac.js'
export type * from './types.js'
