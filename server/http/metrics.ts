/**
 * Prometheus metrics (`GET /metrics`): request counts and latency by interaction and status, plus gauges
 * that other parts register (outbox lag, HL7 counts). One registry per app, so tests can run several apps.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = {
  registry: Registry;
  observeRequest(interaction: string, resourceType: string, status: number, seconds: number): void;
};

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'nilecare_' });
  const requests = new Counter({
    name: 'nilecare_fhir_requests_total',
    help: 'FHIR requests by interaction, resource type and HTTP status',
    labelNames: ['interaction', 'type', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'nilecare_fhir_request_duration_seconds',
    help: 'FHIR request latency by interaction',
    labelNames: ['interaction'] as const,
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  return {
    registry,
    observeRequest(interaction, resourceType, status, seconds) {
      requests.inc({ interaction, type: resourceType, status: String(status) });
      latency.observe({ interaction }, seconds);
    },
  };
}
