/**
 * The one logger every process uses: pino, JSON lines on stdout, every line passed through
 * redactText before it is written, so a secret cannot reach a log by any path (a field, a
 * nested error, an interpolated message).
 */
import pino from 'pino';
import { redactText } from './redact';

export type Logger = pino.Logger;

export function createLogger(component: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: component,
    level,
    base: { component },
    hooks: {
      streamWrite: (line: string) => redactText(line),
    },
  });
}
