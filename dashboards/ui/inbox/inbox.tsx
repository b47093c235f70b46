/** The approvals inbox (account owners, RevOps managers): built in its own files under inbox/. */
export function Inbox(props: { selected?: string | undefined }) {
  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">Approvals</h1>
      <p>{props.selected ?? ''}</p>
    </section>
  );
}
