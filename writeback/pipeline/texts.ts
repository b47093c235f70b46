import type { Decision } from '../decide.ts';
import type { CustomerEntry } from '../directory/types.ts';
import type { ExceptionFacts } from './decision-entry.ts';

/** Internal texts (CRM task, Jira issue): for the 3PL's own people, so ids and confidence are welcome. */
const label = (type: string) => type.replace(/_/g, ' ');

function factLines(d: Decision, f: ExceptionFacts): string[] {
  return [
    `Exception: ${label(d.exceptionType)} (${d.exceptionId}), severity ${f.severity}, confidence ${d.confidence}`,
    `Promise broke at: ${f.occurredAt}; detected at: ${f.detectedAt}`,
    ...(f.shipmentId ? [`Shipment: ${f.shipmentId}`] : []),
    ...(f.warehouseId ? [`Warehouse: ${f.warehouseId}`] : []),
    ...(f.lane ? [`Lane: ${f.lane}`] : []),
    ...(f.sku ? [`SKU: ${f.sku}`] : []),
    `Evidence (event ids): ${f.evidence.join(', ') || 'none'}`,
    `Decision: ${d.reason} (policy ${d.policyVersion})`,
  ];
}

export function taskText(
  d: Decision,
  f: ExceptionFacts,
  c: CustomerEntry,
): { subject: string; description: string } {
  const what = f.shipmentId ? `shipment ${f.shipmentId}` : (f.warehouseId ?? c.customerId);
  return {
    subject: `Dockside: ${label(d.exceptionType)} on ${what}`.slice(0, 255),
    description: [
      `Dockside flagged an operational exception for ${c.name ?? c.customerId}.`,
      ...factLines(d, f),
    ].join('\n'),
  };
}

export function jiraIssueText(d: Decision, f: ExceptionFacts): { summary: string; description: string } {
  const where = [f.warehouseId, f.sku ? `SKU ${f.sku}` : undefined].filter(Boolean).join(' ');
  const detail = Object.entries(f.details)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .map(([k, v]) => `${k}: ${String(v)}`);
  return {
    summary: `${label(d.exceptionType)}${where ? ` at ${where}` : ''}`.slice(0, 250),
    description: [...factLines(d, f), ...(detail.length ? ['', ...detail] : [])].join('\n'),
  };
}
