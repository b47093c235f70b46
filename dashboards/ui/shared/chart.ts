import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** A colour token of the current theme (a CSS custom property on <html>), or `fallback`. */
export function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The theme (data-theme on <html>): re-renders the caller when it changes. */
export function useTheme(): string {
  const [theme, setTheme] = useState(document.documentElement.dataset.theme ?? '');
  useEffect(() => {
    const obs = new MutationObserver(() => setTheme(document.documentElement.dataset.theme ?? ''));
    obs.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => obs.disconnect();
  }, []);
  return theme;
}

/**
 * A uPlot chart in the returned box: `make` builds it into the box (or gives undefined for none); it is
 * destroyed and built again when `deps` or the theme change. With `follow` it keeps the box's width (at
 * least `minWidth`) at that height.
 */
export function useUPlot(
  make: (el: HTMLDivElement) => uPlot | undefined,
  deps: readonly unknown[],
  follow?: { readonly minWidth: number; readonly height: number },
) {
  const box = useRef<HTMLDivElement>(null);
  const theme = useTheme();
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = make(el);
    if (!chart) return;
    const resize = follow
      ? new ResizeObserver(() => {
          const width = Math.max(el.clientWidth, follow.minWidth);
          if (width !== chart.width) chart.setSize({ width, height: follow.height });
        })
      : undefined;
    resize?.observe(el);
    return () => {
      resize?.disconnect();
      chart.destroy();
    };
  }, [...deps, theme]);
  return box;
}
