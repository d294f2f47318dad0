// The abuse limits at their shipped defaults (test/support/service.ts turns the per-identifier
// and SMS ones off for the suites that are not about them). The per-address limits stay off unless
// a test sets them: every request of a suite comes from 127.0.0.1.
export const DEFAULT_LIMITS: Record<string, string> = {
  OTP_SEND_LIMIT: '5/1h,10/1d',
  SMS_BUDGET: '1000/1h',
  SMS_BUDGET_PER_COUNTRY: '200/1h',
  SMS_GUARD_MIN_SENDS: '50',
};

/** Runs `count` requests at once and returns their statuses. */
export async function inParallel<T extends { status: number }>(count: number, request: (index: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => request(index)));
}

export function statuses(answers: { status: number }[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}
