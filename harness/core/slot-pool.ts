/**
 * At most `size` slots (a run pool's containers), made on demand and handed
 * out one user at a time: a released slot goes to the longest waiter, else
 * back to the idle ones; a slot whose host outlived its deadline, or that
 * could not be emptied, is dropped and replaced, never reused. Pure: making
 * and dropping a slot are the caller's (edge/sandbox.ts gives containers).
 */
export class SlotPool<Slot> {
  private idle: Slot[] = [];
  private live = 0;
  private waiters: { resolve: (s: Slot) => void; reject: (e: unknown) => void }[] = [];
  constructor(
    private readonly size: number,
    private readonly make: () => Promise<Slot>,
    private readonly drop: (s: Slot) => Promise<void>,
  ) {}

  async acquire(): Promise<Slot> {
    const s = this.idle.pop();
    if (s !== undefined) return s;
    if (this.live < this.size) {
      this.live++;
      try {
        return await this.make();
      } catch (e) {
        this.live--;
        this.serveWaiters();
        throw e;
      }
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  release(s: Slot): void {
    const w = this.waiters.shift();
    if (w) w.resolve(s);
    else this.idle.push(s);
  }

  /** Throw a slot away (its process tree may still be alive); a waiter gets a fresh one in its place. */
  async replace(s: Slot): Promise<void> {
    await this.drop(s);
    this.live--;
    this.serveWaiters();
  }

  /**
   * Make a slot for each waiter there is room for. A slot that cannot be made
   * is that waiter's error, and the next waiter's turn: nobody waits for a
   * slot that no release will ever bring.
   */
  private serveWaiters(): void {
    while (this.waiters.length && this.live < this.size) {
      const w = this.waiters.shift()!;
      this.live++;
      this.make().then(w.resolve, (e: unknown) => {
        this.live--;
        w.reject(e);
        this.serveWaiters();
      });
    }
  }
}
