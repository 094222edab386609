// Errors that end a run with one line for a person and a documented exit code.

export const EXIT = {
  ok: 0,
  /** Some cell's verdict was not what the expectations say: fail, xpass, timeout. */
  unexpected: 1,
  /** Bad command line or bad case data. */
  usage: 2,
  /** The engine, an image or the machine failed: nothing was learned about Go. */
  infra: 3,
  interrupted: 130,
} as const;

export class FatalError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'FatalError';
  }
}

export class UsageError extends FatalError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

export class InfraError extends FatalError {
  constructor(message: string) {
    super(message, EXIT.infra);
    this.name = 'InfraError';
  }
}
