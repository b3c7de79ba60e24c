import { useMemo, useRef, useState } from 'react';

const BINS = 48;

/**
 * A histogram of capture dates with a brush: drag across it to keep only photos taken in that
 * span; double-click to clear. Dates are the camera's local time, as the scan stored them.
 */
export function TimelineBrush({
  times,
  range,
  onChange,
}: {
  /** Capture time per photo (unix ms as parsed from the stored local time), null when unknown. */
  times: (number | null)[];
  range: { from: number; to: number } | null;
  onChange(range: { from: number; to: number } | null): void;
}) {
  const svg = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ start: number; end: number } | null>(null);
  const histogram = useMemo(() => {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const t of times) {
      if (t === null) continue;
      min = Math.min(min, t);
      max = Math.max(max, t);
    }
    if (!Number.isFinite(min)) return null;
    const span = Math.max(1, max - min);
    const counts = new Array<number>(BINS).fill(0);
    for (const t of times)
      if (t !== null) counts[Math.min(BINS - 1, Math.floor(((t - min) / span) * BINS))]++;
    return { min, max, span, counts, peak: Math.max(...counts) };
  }, [times]);
  if (!histogram) return <p className="muted">No capture dates in these photos.</p>;
  const fraction = (clientX: number) => {
    const rect = svg.current?.getBoundingClientRect();
    if (!rect) return 0;
    return Math.min(1, Math.max(0, (clientX - rect.left) / rect.width));
  };
  const timeAt = (f: number) => histogram.min + f * histogram.span;
  const shown = drag
    ? { from: Math.min(drag.start, drag.end), to: Math.max(drag.start, drag.end) }
    : range
      ? {
          from: (range.from - histogram.min) / histogram.span,
          to: (range.to - histogram.min) / histogram.span,
        }
      : null;
  return (
    <div className="timeline">
      <svg
        ref={svg}
        viewBox={`0 0 ${BINS} 20`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Capture dates${range ? `, ${day(range.from)} to ${day(range.to)} chosen` : ''}: drag to choose a span`}
        onPointerDown={(event) => {
          event.currentTarget.setPointerCapture(event.pointerId);
          const f = fraction(event.clientX);
          setDrag({ start: f, end: f });
        }}
        onPointerMove={(event) => drag && setDrag({ ...drag, end: fraction(event.clientX) })}
        onPointerUp={() => {
          if (!drag) return;
          const from = Math.min(drag.start, drag.end);
          const to = Math.max(drag.start, drag.end);
          setDrag(null);
          onChange(to - from < 0.005 ? null : { from: timeAt(from), to: timeAt(to) });
        }}
        onDoubleClick={() => onChange(null)}
      >
        {histogram.counts.map((count, i) => (
          <rect
            // biome-ignore lint/suspicious/noArrayIndexKey: bins are positions, fixed in number
            key={i}
            x={i + 0.1}
            width={0.8}
            y={20 - (count / Math.max(1, histogram.peak)) * 19}
            height={(count / Math.max(1, histogram.peak)) * 19}
            className="timeline-bar"
          />
        ))}
        {shown && (
          <rect
            x={shown.from * BINS}
            width={(shown.to - shown.from) * BINS}
            y={0}
            height={20}
            className="timeline-brush"
          />
        )}
      </svg>
      <div className="timeline-labels">
        <span>{day(range?.from ?? histogram.min)}</span>
        <span>{day(range?.to ?? histogram.max)}</span>
      </div>
    </div>
  );
}

/** A time as the camera's local date (YYYY-MM-DD), the form the filter compares with. */
export function day(time: number): string {
  const d = new Date(time);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A time as the camera's local date and time (ISO, no zone), as the scan stores capture times. */
export function localIso(time: number): string {
  const d = new Date(time);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${day(time)}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
