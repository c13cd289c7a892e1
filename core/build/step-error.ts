// A RUN step that exited non-zero: dockerd's text, and what the builder adds to it (the exit code for
// the API's errorDetail.code, the last lines of output for clients that did not see the stream).
import { BerthError } from '../errors.ts';

export class StepFailedError extends BerthError {
  constructor(message: string, readonly exitCode: number, readonly tail: readonly string[]) {
    super('invalid_argument', message);
  }
}
