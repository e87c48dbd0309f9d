/**
 * The attach and manifest commands' errors: the class decides the exit code, the message says what to do.
 *
 * - {@link AttachInputError}: the request is wrong (bad flag, missing target, a manifest or API that cannot be
 *   used as given): nothing was changed; exit code 2.
 * - {@link AttachFailure}: an AWS call failed, or the API and the manifest disagree; exit code 1.
 */
export class AttachInputError extends Error {
  readonly exitCode = 2;

  constructor(message: string) {
    super(message);
    this.name = 'AttachInputError';
  }
}

export class AttachFailure extends Error {
  readonly exitCode = 1;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AttachFailure';
  }
}

/** The exit code an error stands for: its own (these classes, the key CLI's errors), else 1. */
export function exitCodeOf(error: unknown): number {
  const code = (error as { exitCode?: unknown } | null)?.exitCode;
  return code === 2 ? 2 : 1;
}

/** The SDK error's name, e.g. `NotFoundException`. */
export function awsErrorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}
