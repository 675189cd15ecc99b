import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartProps {
  /** What the chart shows, for screen readers (the canvas itself says nothing). */
  label: string;
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  /** Time on the x axis (seconds); otherwise plain numbers, such as attempt numbers. */
  time?: boolean;
  bars?: boolean;
  height?: number;
  yLabel?: string;
  /** The legend's name for the x value. */
  xLabel?: string;
}

/** A uPlot chart that follows its container's width. */
export function Chart({ label, data, series, time = true, bars = false, height = 220, yLabel, xLabel = time ? 'Time' : 'Value' }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = () => Math.max(200, Math.floor(el.clientWidth));
    const barPaths = bars ? uPlot.paths.bars!({ size: [0.6, 60] }) : undefined;
    const plot = new uPlot(
      {
        width: width(),
        height,
        // Counts and latencies: the y axis starts at zero.
        scales: { x: { time }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [{ stroke: '#333' }, { stroke: '#333', label: yLabel, size: 60 }],
        series: [{ label: xLabel }, ...series.map((s) => ({ ...s, ...(barPaths ? { paths: barPaths, fill: s.stroke, points: { show: false } } : {}) }))],
        legend: { show: true },
      },
      data,
      el,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: width(), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [data, series, time, bars, height, yLabel, xLabel]);
  return (
    <figure class="chart">
      <figcaption>{label}</figcaption>
      <div ref={box} role="img" aria-label={label} />
    </figure>
  );
}
