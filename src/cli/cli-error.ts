/** Thrown when a command cannot do what it was asked; main prints the message as one line and exits non-zero. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
