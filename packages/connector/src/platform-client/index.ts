export { PlatformClient, type PlatformClientOptions, type CallOptions, type InquireSyncResult } from './client.js'
export { outcomeOfAnswer, outcomeOfTransportError, type PlatformOutcome } from './outcome.js'
export { createHttpTransport, TransportError, type Transport, type RawAnswer, type PostInput, type TransportFailureKind } from './transport.js'
export { platformClientFor } from './from-context.js'
