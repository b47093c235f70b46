/** The operations page (platform engineers): built in its own files under ops/. */
export function Operations() {
  return (
    <section aria-labelledby="ops-title">
      <h1 id="ops-title">Operations</h1>
    </section>
  );
}
