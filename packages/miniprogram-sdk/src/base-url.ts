/**
 * Splits `baseUrl` without the `URL` class, which WeChat and Alipay mini programs lack.
 * The path prefix (a connector mounted under `/benefitkit`, say) is part of the signed PATH.
 */
export interface BaseUrl {
  /** `https://host:port` */
  origin: string
  /** `''` or `/prefix`, never with a trailing slash. */
  pathPrefix: string
}

const BASE_URL_PATTERN = /^(https?:\/\/[^/?#\s]+)(\/[^?#\s]*)?$/i

export function parseBaseUrl(baseUrl: string): BaseUrl {
  const match = typeof baseUrl === 'string' ? BASE_URL_PATTERN.exec(baseUrl) : null
  if (!match) throw new TypeError(`baseUrl must be an absolute http(s) URL without query or fragment, got ${JSON.stringify(baseUrl)}`)
  return { origin: match[1]!, pathPrefix: (match[2] ?? '').replace(/\/+$/, '') }
}
