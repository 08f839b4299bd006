import type { ConnectorContext } from '../context.js'
import { PlatformClient } from './client.js'

/** The platform client as the daemon configures it: its keys, base URL and timeout. */
export function platformClientFor(context: ConnectorContext, maxSockets = context.config.outboxConcurrency * 2): PlatformClient {
  return new PlatformClient({
    baseUrl: context.config.platformUrl,
    clientId: context.config.clientId,
    signing: context.keys.signing,
    platformKeys: context.keys.platform,
    timeoutMs: context.config.platformTimeoutMs,
    maxSockets,
  })
}
