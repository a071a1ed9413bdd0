/**
 * A URL safe to print: everything between `scheme://` and the last `@` is user info, and all of
 * it after the first `:` is replaced. Stricter than matching a well-formed URL, so a password
 * holding an unencoded `@` or `/` (which makes the URL invalid) is not printed either.
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)(.*)@/i, (_m, scheme: string, info: string) => {
    const colon = info.indexOf(':')
    return `${scheme}${colon < 0 ? info : `${info.slice(0, colon)}:***`}@`
  })
}
