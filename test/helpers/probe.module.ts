import { Body, Controller, Get, Module, Param, Post, Query } from '@nestjs/common';
import { CacheService } from '@backlot/cache';
import { Conflict, Public } from '@backlot/http';
import { RateLimit } from '@backlot/security';
import { ProbeEchoDto } from './probe.dto';

/**
 * Test-only routes mounted into the real app to exercise the platform (body parsing,
 * validation, errors, rate limits, cache) before any domain module exists.
 */
@Controller('probe')
@Public()
export class ProbeController {
  /** How many slow requests have reached the handler: a test waits on it instead of guessing a delay. */
  static slowStarted = 0;
  private loads = 0;

  constructor(private readonly cache: CacheService) {}

  @Post('echo')
  echo(@Body() body: ProbeEchoDto): ProbeEchoDto {
    return body;
  }

  @Get('boom')
  boom(): never {
    throw new Error('relation "users" failed: SELECT password_hash FROM users WHERE email = $1');
  }

  @Get('conflict')
  conflict(): never {
    throw new Conflict('That name is taken.');
  }

  @Get('limited')
  @RateLimit(3, 60)
  limited(): { ok: true } {
    return { ok: true };
  }

  @Get('slow')
  async slow(@Query('ms') ms = '300'): Promise<{ waited: number }> {
    ProbeController.slowStarted++;
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    return { waited: Number(ms) };
  }

  /** Returns how many times the loader ran: unchanged on a cache hit. */
  @Get('cached/:key')
  async cached(@Param('key') key: string): Promise<{ key: string; loads: number }> {
    return this.cache.namespace('probe').getOrSet(key, async () => ({ key, loads: ++this.loads }));
  }

  @Post('cached/invalidate')
  async invalidate(): Promise<{ invalidated: true }> {
    await this.cache.namespace('probe').invalidate();
    return { invalidated: true };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
