/**
 * Polling with a deadline, instead of a fixed sleep before an assertion: the check runs until it passes (returns
 * without throwing), and after the deadline its last failure is thrown. Fast when the system is fast, patient when
 * the machine is busy.
 *
 *   await eventually(async () => expect(await status(token)).toBe(401));
 */
export interface EventuallyOptions {
  /** Give up after this long (default 5 s). */
  readonly timeoutMs?: number;
  /** Pause between two attempts (default 10 ms). */
  readonly intervalMs?: number;
}

export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = performance.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      if (performance.now() >= deadline) {
        if (error instanceof Error) error.message = `${error.message} (still failing after ${timeoutMs} ms, ${attempt} attempts)`;
        throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
