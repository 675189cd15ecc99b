/** How long one attempt activity may run: the HTTP timeout plus room for loading, signing and recording. */
export function attemptTimeoutMs(httpTimeoutMs: number): number {
  return httpTimeoutMs + 15_000;
}
