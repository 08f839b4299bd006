export { createApiKey, listApiKeys, revokeApiKey, findApiKey, touchApiKey, type CreatedApiKey, type ApiKeyInfo, type RevokeOutcome } from './repository.js'
export { hashApiKeySecret, apiKeyIdOfSecret, API_KEY_SECRET } from './secret.js'
