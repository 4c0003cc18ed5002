// Writes that go side by side: each is waited for, so none is still going
// when the caller moves on or retries, and the first failure is thrown.

export async function settleAll(work: (Promise<unknown> | undefined)[]): Promise<void> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}
