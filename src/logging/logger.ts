import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config';

export type { Logger };

/** JSON logs on stdout; one logger per process, children per component. */
export function createLogger(
  level: LogLevel,
  base: Record<string, unknown> = {},
  destination: 1 | 2 = 1,
): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, ...base },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: destination, sync: destination === 2 }),
  );
}
