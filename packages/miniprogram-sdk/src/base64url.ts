/** base64url without padding, by hand: `btoa` and `Buffer` are not everywhere the SDK runs. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

export function base64url(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const b1 = bytes[i + 1]
    const b2 = bytes[i + 2]
    const n = (bytes[i]! << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0)
    out += ALPHABET.charAt((n >> 18) & 63) + ALPHABET.charAt((n >> 12) & 63)
    if (b1 !== undefined) out += ALPHABET.charAt((n >> 6) & 63)
    if (b2 !== undefined) out += ALPHABET.charAt(n & 63)
  }
  return out
}
