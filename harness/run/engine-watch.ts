/**
 * After an infrastructure error: did the engine itself go away? Then every
 * unfinished cell says so, in the same words, and the run says it once.
 * Asked once per run after the first loss; a healthy answer is asked again.
 */
export class EngineWatch {
  private pending?: Promise<string | undefined>;
  /** Set once the engine is known to be gone: no cell starts anything after that. */
  lost?: string;

  constructor(
    private readonly ask: () => Promise<string | undefined>,
    private readonly say: (line: string) => void,
  ) {}

  async check(): Promise<string | undefined> {
    const known = await this.pending;
    if (known) return known;
    this.pending = this.ask();
    const why = await this.pending;
    if (why && !this.lost) this.say(why);
    if (why) this.lost = why;
    else this.pending = undefined;
    return why;
  }
}
