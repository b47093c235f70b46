import { Fragment } from 'preact';
import { valueLabel } from './format.ts';
import type { FieldValue } from './types.ts';

/** A policy field name that may break after its underscores on a narrow screen (`ops_risk_reason`). */
export function FieldName(props: { name: string }) {
  const parts = props.name.split('_');
  return (
    <code class="field-name">
      {parts.map((p, i) => (
        <Fragment key={i}>
          {p}
          {i < parts.length - 1 ? (
            <>
              _<wbr />
            </>
          ) : null}
        </Fragment>
      ))}
    </code>
  );
}

/** CRM fields and the values they are (or would be) set to, as a named list. */
export function FieldList(props: { label: string; fields: readonly { name: string; value: FieldValue }[] }) {
  return (
    <ul class="fields" aria-label={props.label}>
      {props.fields.map((f) => (
        <li key={f.name}>
          <FieldName name={f.name} /> <span aria-hidden="true">→</span>
          <span class="sr-only">set to</span> <strong>{valueLabel(f.value)}</strong>
        </li>
      ))}
    </ul>
  );
}
