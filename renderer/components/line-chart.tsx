import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** A live line chart (uPlot draws thousands of points per frame on a canvas). */
export function LineChart({
  title,
  x,
  y,
  color,
  format = (value: number) => value.toPrecision(3),
  logScale = false,
}: {
  title: string;
  x: number[];
  y: (number | null)[];
  color: string;
  format?(value: number): string;
  logScale?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const chart = new uPlot(
      {
        width: element.clientWidth || 360,
        height: 170,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: logScale ? { distr: 3 } : {} },
        axes: [
          {
            stroke: '#8b93a7',
            grid: { stroke: '#262b38' },
            ticks: { stroke: '#262b38' },
            label: 'step',
            incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000],
            labelSize: 14,
            size: 34,
          },
          {
            stroke: '#8b93a7',
            grid: { stroke: '#262b38' },
            ticks: { stroke: '#262b38' },
            size: 64,
            values: (_, ticks) => ticks.map((tick) => format(tick)),
          },
        ],
        series: [{}, { stroke: color, width: 2, fill: `${color}22`, points: { show: false } }],
      },
      [[], []],
      element,
    );
    plot.current = chart;
    const observer = new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height: 170 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [color, format, logScale]);

  useEffect(() => {
    plot.current?.setData([x, y] as uPlot.AlignedData);
  }, [x, y]);

  const latest = [...y].reverse().find((value) => value !== null);
  return (
    <figure className="chart">
      <figcaption>
        <span>{title}</span>
        <strong className="chart-value">
          {latest === undefined || latest === null ? '—' : format(latest)}
        </strong>
      </figcaption>
      <div ref={host} className="chart-canvas" />
    </figure>
  );
}
