import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Write-back metrics, registered on the process's registry (core/metrics.ts createMetrics().registry). */
export function createWritebackMetrics(registry: Registry) {
  return {
    decisions: new Counter({
      name: 'dockside_writeback_decisions_total',
      help: 'Write-back decisions logged, by outcome and reason code',
      labelNames: ['outcome', 'reason'] as const,
      registers: [registry],
    }),
    shadowDifferences: new Counter({
      name: 'dockside_writeback_shadow_differences_total',
      help: 'Exception states on which the shadow policy would have decided differently',
      registers: [registry],
    }),
    approvals: new Counter({
      name: 'dockside_writeback_approval_transitions_total',
      help: 'Approval transitions, by action (created, approved, rejected, escalated, expired, withdrawn)',
      labelNames: ['action'] as const,
      registers: [registry],
    }),
    pendingApprovals: new Gauge({
      name: 'dockside_writeback_approvals_pending',
      help: 'Approvals waiting for a person',
      registers: [registry],
    }),
    commands: new Counter({
      name: 'dockside_writeback_commands_total',
      help: 'Outbox commands executed, by kind and result (done, retry, failed, held)',
      labelNames: ['kind', 'result'] as const,
      registers: [registry],
    }),
    targetCalls: new Counter({
      name: 'dockside_writeback_target_calls_total',
      help: 'Calls to external targets, by target and result (ok, unavailable, rejected, circuit_open)',
      labelNames: ['target', 'result'] as const,
      registers: [registry],
    }),
    breakerOpen: new Gauge({
      name: 'dockside_writeback_circuit_open',
      help: '1 while the circuit breaker of a target is open or half-open',
      labelNames: ['target'] as const,
      registers: [registry],
    }),
    notificationLatency: new Histogram({
      name: 'dockside_notification_latency_seconds',
      help: 'Exception detected to notification accepted by the mail server or chat webhook',
      labelNames: ['about'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600],
      registers: [registry],
    }),
    notificationLatencyP95: new Gauge({
      name: 'dockside_notification_latency_p95_seconds',
      help: 'p95 of the notification latency over the recent window (compare with the SLO target)',
      registers: [registry],
    }),
    sloTarget: new Gauge({
      name: 'dockside_slo_target_seconds',
      help: "The policy's slo_targets, in seconds",
      labelNames: ['slo'] as const,
      registers: [registry],
    }),
    kpiThreshold: new Gauge({
      name: 'dockside_kpi_threshold',
      help: "The policy's telemetry KPI alert thresholds",
      labelNames: ['kpi'] as const,
      registers: [registry],
    }),
    crmApiUsage: new Gauge({
      name: 'dockside_crm_api_usage_ratio',
      help: "Share of the CRM org's API allowance used (Salesforce Sforce-Limit-Info api-usage=N/M)",
      labelNames: ['target'] as const,
      registers: [registry],
    }),
    approvalToWrite: new Histogram({
      name: 'dockside_writeback_approval_to_write_seconds',
      help: 'Final approval to the CRM accepting the write',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
  };
}

export type WritebackMetrics = ReturnType<typeof createWritebackMetrics>;
