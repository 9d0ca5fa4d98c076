import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

/** Routes Nest's own log calls (module init, route mapping, errors) into the same pino stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  /** Nest calls error(message, stack?, context?); an object message carries structured fields. */
  error(message: unknown, stackOrContext?: string, context?: string): void {
    const stack = context ? stackOrContext : undefined;
    const ctx = context ?? stackOrContext;
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      this.logger.error({ context: ctx, ...(stack && { stack }), ...message });
    } else if (message instanceof Error) {
      this.logger.error({ context: ctx, error: { type: message.name, message: message.message, stack: message.stack } }, message.message);
    } else {
      this.logger.error({ context: ctx, ...(stack && { stack }) }, String(message));
    }
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(level: 'info' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, context?: string): void {
    if (typeof message === 'object' && message !== null) this.logger[level]({ context, ...message });
    else this.logger[level]({ context }, String(message));
  }
}
