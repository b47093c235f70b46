import { describe, expect, it } from 'vitest';
import {
  type ApprovalView,
  approvalEscalated,
  approvalExpired,
  approvalNeeded,
  held,
  type Notice,
  writeFailed,
} from '../../writeback/notify/messages.ts';
import { slackMessageSchema } from '../../writeback/notify/slack-blocks.ts';

const publicUrl = 'https://dockside.example.com';

const approval: ApprovalView = {
  id: 'ap-0123abcd-1',
  exceptionId: 'late_scan:0123abcd',
  exceptionType: 'late_scan',
  shipmentId: 'SHP-9',
  customerId: 'CUST-001',
  current: 0,
  steps: [
    { role: 'revops_manager', timeoutMinutes: 30, deadline: '2026-12-03T14:30:00.000Z' },
    { role: 'account_owner', timeoutMinutes: 60 },
  ],
  fields: [
    { name: 'ops_risk_level', value: 'high' },
    { name: 'ops_risk_reason', value: 'late_scan' },
  ],
};

/** Every notice: a short one-line ASCII subject, an ASCII body, and a Slack payload within Block Kit's limits. */
function wellFormed(n: Notice) {
  expect(n.subject.length).toBeLessThanOrEqual(100);
  expect(n.subject).toMatch(/^[\x20-\x7e]+$/);
  expect(n.text).toMatch(/^[\x20-\x7e\n]+$/);
  expect(slackMessageSchema.safeParse(n.slack).success).toBe(true);
}

describe('notification texts', () => {
  it('approval needed: step, role, deadline, exception facts, current -> proposed, and the approval link', () => {
    const n = approvalNeeded(approval, { publicUrl, currentValues: { ops_risk_level: 'low' } });
    wellFormed(n);
    expect(n.about).toBe('approval_needed');
    expect(n.subject).toBe('Approval needed: late scan SHP-9 (CUST-001), revops_manager by 14:30 UTC');
    expect(n.text).toContain('Step: 1 of 2 (revops_manager)');
    expect(n.text).toContain('Due: 14:30 UTC on 3 Dec 2026');
    expect(n.text).toContain('Shipment: SHP-9');
    expect(n.text).toContain('ops_risk_level: low -> high');
    // The current value of this one was not read: only the proposal is shown.
    expect(n.text).toContain('ops_risk_reason -> late_scan');
    expect(n.text).toContain(`${publicUrl}/approvals/ap-0123abcd-1`);
    expect(n.slack.text).toContain(`<${publicUrl}/approvals/ap-0123abcd-1|`);
  });

  it('the second step names its own role once the first is approved', () => {
    const second = approvalNeeded(
      {
        ...approval,
        current: 1,
        steps: [
          approval.steps[0] ?? { role: 'x', timeoutMinutes: 1 },
          { role: 'account_owner', timeoutMinutes: 60, deadline: '2026-12-03T15:40:00Z' },
        ],
      },
      { publicUrl },
    );
    expect(second.subject).toContain('account_owner by 15:40 UTC');
    expect(second.text).toContain('Step: 2 of 2 (account_owner)');
  });

  it('escalated: the overdue step and who may now decide it', () => {
    const n = approvalEscalated(approval, { publicUrl, escalationRole: 'admin' });
    wellFormed(n);
    expect(n.subject).toBe('Escalated: late scan SHP-9 (CUST-001), revops_manager step overdue');
    expect(n.text).toMatch(/Step 1 of 2 \(revops_manager\) passed its deadline.*admin may now decide/);
  });

  it('expired: says the CRM was not changed and lists the fields', () => {
    const n = approvalExpired(approval, { publicUrl });
    wellFormed(n);
    expect(n.subject).toBe('Expired: late scan SHP-9 (CUST-001), CRM not changed');
    expect(n.text).toContain('Fields not written:');
    expect(n.text).toContain('ops_risk_level -> high');
  });

  it('write failed: target, attempts, the target’s error (redacted) and the write’s link', () => {
    const n = writeFailed(
      {
        writeId: 'wr-42',
        exceptionId: 'late_scan:0123abcd',
        exceptionType: 'late_scan',
        shipmentId: 'SHP-9',
        customerId: 'CUST-001',
        fields: approval.fields,
        attempts: 12,
        target: 'salesforce',
        error: 'FIELD_CUSTOM_VALIDATION_EXCEPTION: owner jane.doe@acme.example (+1 555-123-4567) is inactive',
      },
      { publicUrl },
    );
    wellFormed(n);
    expect(n.subject).toBe('CRM write failed: late scan SHP-9 (CUST-001) after 12 attempts');
    expect(n.text).toContain('salesforce');
    expect(n.text).toContain('FIELD_CUSTOM_VALIDATION_EXCEPTION');
    expect(n.text).not.toContain('jane.doe');
    expect(n.text).not.toContain('555-123-4567');
    expect(n.text).toContain(`${publicUrl}/writebacks/wr-42`);
  });

  it('held: the reason code in the subject, the reason sentence in the body', () => {
    const n = held(
      {
        exceptionId: 'late_scan:0123abcd',
        exceptionType: 'late_scan',
        customerId: 'CUST-001',
        reasonCode: 'below_confidence',
        reason: 'confidence 0.7 is below confidence_min 0.78',
        fields: approval.fields,
      },
      { publicUrl },
    );
    wellFormed(n);
    expect(n.subject).toBe('Held: late scan (CUST-001), below_confidence');
    expect(n.text).toContain('Nothing was written to the CRM: confidence 0.7 is below confidence_min 0.78.');
    expect(n.text).toContain(`${publicUrl}/exceptions/late_scan%3A0123abcd`);
  });

  it('Slack text escapes mrkdwn control characters and mentions the recipients', () => {
    const n = approvalNeeded({ ...approval, shipmentId: 'SHP<9>&co' }, { publicUrl, mentions: ['U0ANA'] });
    expect(n.slack.text).toContain('SHP&lt;9&gt;&amp;co');
    expect(JSON.stringify(n.slack.blocks)).toContain('<@U0ANA>');
    expect(n.text).not.toContain('U0ANA');
  });
});
