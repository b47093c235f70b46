import { Fragment } from 'preact';

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
