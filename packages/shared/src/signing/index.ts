/**
 * `@benefitkit/shared/signing`: RSA256 request and answer signing (protocol.md §2).
 * Node only — the mini-program SDK never imports this subpath.
 */
export * from './keys.js'
export * from './content.js'
export * from './header.js'
export * from './keyring.js'
export * from './http.js'
