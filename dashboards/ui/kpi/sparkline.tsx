import uPlot from 'uplot';
import { themeColor, useUPlot } from '../shared/chart.ts';
import type { SparkPoint } from './types.ts';

/**
 * A KPI's last 24 h as a small uPlot line: no axes, no legend, no cursor. Decorative for assistive
 * technology (aria-hidden): the strip gives the same points in words beside it. Rebuilt when the data,
 * the crossed state or the theme changes (colours come from the theme's tokens).
 */
export const SPARK_WIDTH = 72;
export const SPARK_HEIGHT = 26;

export function Sparkline(props: { points: readonly SparkPoint[]; crossed: boolean }) {
  const { points, crossed } = props;
  const box = useUPlot(
    (el) => {
      const values = points.map((p) => p.value);
      const known = values.filter((v) => v !== null).length;
      if (known === 0) return undefined;
      const stroke = crossed ? themeColor('--bad', '#cf222e') : themeColor('--accent', '#0a58ca');
      return new uPlot(
        {
          // The box's width comes from the stylesheet (narrower on a phone).
          width: el.clientWidth || SPARK_WIDTH,
          height: SPARK_HEIGHT,
          padding: [3, 3, 3, 3],
          legend: { show: false },
          cursor: { show: false },
          select: { show: false, left: 0, top: 0, width: 0, height: 0 },
          scales: { x: { time: false } },
          axes: [{ show: false }, { show: false }],
          series: [
            {},
            {
              stroke,
              width: 1.5,
              points: { show: known <= 3, size: 4, stroke, fill: stroke },
              spanGaps: false,
            },
          ],
        },
        [points.map((p) => Date.parse(p.at) / 1000), values],
        el,
      );
    },
    [points, crossed],
  );
  return <div ref={box} class="kpi-spark" aria-hidden="true" />;
}
