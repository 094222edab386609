/**
 * The build scheduler: a fixed number of slots, and a choice of what runs next.
 *
 * Plain FIFO wastes the most expensive work there is. The first Go build for a
 * target (GOARCH/GOARM, Go image) compiles the standard library (about 6 s of
 * both cores); every later build for that target reuses it from the Go build
 * cache (about 1 s). Two first builds for the same target started together both
 * compile it, and neither finishes sooner. So a job may name a *warm-up group*:
 *
 *  - the first job of a cold group runs alone in its group; the group's other
 *    jobs wait, and the free slot takes another group's work instead;
 *  - cold groups start before anything else, so the long builds run first and
 *    the short ones fill the tail;
 *  - after that, higher priority first, then submission order.
 *
 * A slot is left idle rather than start a second copy of a warm-up: the warm-up
 * already uses every core.
 */
export interface JobOptions {
  /** Jobs that share expensive, cacheable work (the standard library of one target). */
  group?: string;
  /** Higher runs sooner among ready jobs. */
  priority?: number;
}

interface Queued {
  group?: string;
  priority: number;
  seq: number;
  start: () => void;
}

export class Scheduler {
  private readonly queue: Queued[] = [];
  private running = 0;
  private seq = 0;
  private readonly warm = new Set<string>();
  private readonly warming = new Set<string>();

  /** `warm`: groups already known to be in the Go build cache (from an earlier run). */
  constructor(
    readonly slots: number,
    warm: Iterable<string> = [],
  ) {
    if (!(slots >= 1)) throw new RangeError(`slots must be at least 1, got ${slots}`);
    for (const g of warm) this.warm.add(g);
  }

  /** Jobs waiting for a slot (for status lines and tests). */
  get pending(): number {
    return this.queue.length;
  }

  get active(): number {
    return this.running;
  }

  isWarm(group: string): boolean {
    return this.warm.has(group);
  }

  run<T>(opts: JobOptions, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Queued = {
        ...(opts.group !== undefined ? { group: opts.group } : {}),
        priority: opts.priority ?? 0,
        seq: this.seq++,
        start: () => {
          const warmsUp = job.group !== undefined && !this.warm.has(job.group);
          if (warmsUp) this.warming.add(job.group!);
          this.running++;
          let p: Promise<T>;
          try {
            p = fn();
          } catch (e) {
            p = Promise.reject(e);
          }
          p.then(resolve, reject).finally(() => {
            this.running--;
            if (warmsUp) {
              // Even a failed build leaves the packages it compiled in the cache.
              this.warming.delete(job.group!);
              this.warm.add(job.group!);
            }
            this.pump();
          });
        },
      };
      this.queue.push(job);
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.slots) {
      const i = this.pick();
      if (i < 0) return;
      const [job] = this.queue.splice(i, 1);
      job!.start();
    }
  }

  /** Index of the job to start next, or -1 when every queued job must wait. */
  private pick(): number {
    let best = -1;
    let bestRank: [number, number, number] | undefined;
    for (let i = 0; i < this.queue.length; i++) {
      const j = this.queue[i]!;
      if (j.group !== undefined && this.warming.has(j.group)) continue;
      const cold = j.group !== undefined && !this.warm.has(j.group) ? 1 : 0;
      const rank: [number, number, number] = [cold, j.priority, -j.seq];
      if (
        !bestRank ||
        rank[0] > bestRank[0] ||
        (rank[0] === bestRank[0] && (rank[1] > bestRank[1] || (rank[1] === bestRank[1] && rank[2] > bestRank[2])))
      ) {
        best = i;
        bestRank = rank;
      }
    }
    return best;
  }
}
