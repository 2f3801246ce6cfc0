/** What the CLI writes to: process.stdout / process.stderr, or string buffers in tests. */

/** A writable text stream; `isTTY` decides whether progress is shown. */
export interface CliStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/** The CLI's outputs. Configuration comes from the composition root (ROTATION_CONFIG in process.env). */
export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
}
