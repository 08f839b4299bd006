import { benefitApis, type IsvApiName, type RequestOf } from '@benefitkit/shared'
import type { z } from 'zod'
import type { Answer } from './answer.js'

/** What a handler may ask about the HTTP call it answers. */
export interface InboundCall {
  /** Base URL for links we hand out (benefitUrl), computed only when asked. */
  urlBase(): string
}

/** One of the four APIs the platform calls: its schema and its handler. */
export interface InboundRoute {
  readonly api: IsvApiName
  readonly schema: z.ZodType
  handle(request: unknown, call: InboundCall): Promise<Answer>
}

/**
 * Binds a handler to an API of the shared contract: the request schema comes
 * from `benefitApis`, so the handler receives exactly the validated type.
 */
export function inboundRoute<K extends IsvApiName>(
  api: K,
  handle: (request: RequestOf<K>, call: InboundCall) => Promise<Answer>,
): InboundRoute {
  return { api, schema: benefitApis[api].request, handle: handle as InboundRoute['handle'] }
}
