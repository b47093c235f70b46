import { useEffect, useRef } from 'preact/hooks';

export interface KeyHandlers {
  move(delta: number): void;
  open(): void;
  assignMe(): void;
  resolve(): void;
  toggle(): void;
  escape(): void;
}

/** The keys, as the help line under the title lists them. */
export const keyHelp: readonly [string, string][] = [
  ['j / k', 'next / previous'],
  ['Enter', 'open'],
  ['a', 'assign to me'],
  ['r', 'resolve'],
  ['x', 'select'],
  ['Esc', 'close'],
];

/** Typing in a field, or a dialog open: keys belong to them. */
function ignored(e: KeyboardEvent): boolean {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return true;
  const t = e.target as HTMLElement | null;
  if (t instanceof HTMLInputElement && (t.type === 'checkbox' || t.type === 'radio')) return false;
  if (t?.closest('input, textarea, select, [contenteditable="true"], dialog')) return true;
  return document.querySelector('dialog[open]') !== null;
}

/** The board's keyboard: j/k move, Enter opens, a assigns to me, r resolves, x selects, Esc closes. */
export function useBoardKeys(handlers: KeyHandlers, enabled: { act: boolean }): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  const act = enabled.act;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (ignored(e)) return;
      const h = ref.current;
      const target = e.target as HTMLElement | null;
      switch (e.key) {
        case 'j':
          h.move(1);
          break;
        case 'k':
          h.move(-1);
          break;
        case 'Enter':
          // A focused link or button does its own thing (the row's link opens it too).
          if (target?.closest('a, button, summary')) return;
          h.open();
          break;
        case 'a':
          if (!act) return;
          h.assignMe();
          break;
        case 'r':
          if (!act) return;
          h.resolve();
          break;
        case 'x':
          if (!act) return;
          h.toggle();
          break;
        case 'Escape':
          h.escape();
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [act]);
}
