import { Global, Module } from '@nestjs/common';
import { HealthController } from './health/health.controller';
import { HealthRegistry } from './health/health-registry';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsListener } from './metrics/metrics-listener';
import { MetricsService } from './metrics/metrics.service';
import { MetricsTokenGuard } from './metrics/metrics-token.guard';

@Global()
@Module({
  controllers: [HealthController, MetricsController],
  providers: [HealthRegistry, MetricsService, MetricsTokenGuard, MetricsListener],
  exports: [HealthRegistry, MetricsService, MetricsListener],
})
export class ObservabilityModule {}
