/**
 * A start-up problem of the environment (a directory PostgreSQL cannot enter,
 * say) rather than a bug: its message already says what to change, so it is
 * printed alone, on one line, without a stack.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
