import { FieldName } from './field-name.tsx';
import { clockLabel, valueLabel } from './format.ts';
import type { ApprovalDetailView, FieldValue } from './types.ts';

/**
 * The proposed CRM fields as "current → proposed": before the write, the values the CRM holds now (read
 * through its adapter, a few seconds old at most); once Dockside has written, the values it read just before
 * writing (what a rollback restores) → what it wrote.
 */
export function Changes(props: { approval: ApprovalDetailView }) {
  const a = props.approval;
  const before = a.write?.previous ?? null;
  const written = before !== null;
  const source = written ? before : a.currentValues;
  const read = (name: string): FieldValue | undefined => (source ? source[name] : undefined);
  return (
    <section aria-labelledby="fields-title">
      <h3 id="fields-title">{written ? 'CRM changes' : 'Proposed CRM changes'}</h3>
      <table class="changes">
        <caption class="muted">
          Account {a.crmAccountId ?? a.customerId}
          {written
            ? ' · values read from the CRM just before the write'
            : a.currentValuesAt
              ? ` · current values read from the CRM at ${clockLabel(a.currentValuesAt)}`
              : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">{written ? 'Before the write' : 'Current value'}</th>
            <th scope="col">{written ? 'Written' : 'Proposed'}</th>
          </tr>
        </thead>
        <tbody>
          {a.fields.map((f) => {
            const cur = read(f.name);
            const same = !written && a.currentValues !== null && cur === f.value;
            return (
              <tr key={f.name}>
                <th scope="row">
                  <FieldName name={f.name} />
                </th>
                <td class={cur === null || cur === undefined ? 'muted' : ''}>{valueLabel(cur)}</td>
                <td>
                  <span aria-hidden="true" class="arrow">
                    →{'\u00a0'}
                  </span>
                  <strong>{valueLabel(f.value)}</strong>
                  {same ? <span class="muted"> (already set)</span> : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {!written && a.currentValuesError ? (
        <p class="warn">Current values unavailable: {a.currentValuesError}.</p>
      ) : null}
    </section>
  );
}
