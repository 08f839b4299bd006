/** Templates as other parts (admin API, `pnpm start`, tests, sandbox e2e) use them. */
export { createTemplate, queueTemplateSync, type TemplateStore, type CreateTemplateOptions, type CreatedTemplate } from './create.js'
export { importCodes, type ImportCodesInput } from './code-pool.js'
export { TemplateError, isTemplateError, type TemplateErrorKind } from './errors.js'
export {
  findTemplate,
  findTemplateBySyncRequestId,
  listTemplates,
  poolStats,
  isSyncQueued,
  templateView,
  type TemplateView,
  type PoolStats,
  type ListTemplatesOptions,
} from './repository.js'
export { parseTemplateInput, generateTemplateId, generateSyncRequestId, type ParsedTemplate, type ParseTemplateOptions } from './template-input.js'
export { syncBodyOf, syncRequestOf } from './sync-body.js'
export { applySyncOutcome, type SyncOutcome, type SyncOutcomeResult } from './sync-state.js'
export type { PoolCode } from './pool-codes.js'
