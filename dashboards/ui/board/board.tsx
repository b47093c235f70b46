/** The exception board (dispatch leads): built in its own files under board/. */
export function Board(props: { selected?: string | undefined }) {
  return (
    <section aria-labelledby="board-title">
      <h1 id="board-title">Exception board</h1>
      <p>{props.selected ?? ''}</p>
    </section>
  );
}
