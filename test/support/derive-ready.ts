/**
 * Derived-table queries answer 'building' (DerivedBuilding) while a node's tables are built on a
 * worker thread: ask again until the answer comes, as the UI does.
 */
export async function whenBuilt<T>(ask: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await ask();
    } catch (err) {
      const code = (err as { apiCode?: string; code?: string } | null)?.apiCode ?? (err as { code?: string } | null)?.code;
      if (code !== 'building' || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
