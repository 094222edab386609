import { isUnexpected } from './results.js';
import type { Verdict } from './types.js';

/**
 * The one owner of --max-failures (as Playwright Test's failureTracker.ts):
 * every verdict is reported here, and every place that would start new work
 * asks here whether it still may. Without a limit it never stops a run.
 */
export class FailureTracker {
  private unexpected = 0;

  constructor(private readonly maxFailures?: number) {}

  onCellEnd(verdict: Verdict): void {
    if (isUnexpected(verdict)) this.unexpected++;
  }

  /** No new cell, build or host run may start once this is true. */
  hasReachedMaxFailures(): boolean {
    return this.maxFailures !== undefined && this.maxFailures > 0 && this.unexpected >= this.maxFailures;
  }

  get unexpectedCount(): number {
    return this.unexpected;
  }
}
