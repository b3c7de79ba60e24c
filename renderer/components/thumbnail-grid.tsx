import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { bridge } from '../bridge.ts';

export interface GridItem {
  id: number;
  label: string;
  /** Shown under the label, e.g. a similarity. */
  note?: string;
}

const CELL = 168;
const GAP = 8;

/**
 * Photos as a grid that stays smooth at 100,000: only the rows on screen (plus a few) exist in the
 * DOM, and the owner loads items page by page as rows come into view.
 */
export function ThumbnailGrid({
  count,
  itemAt,
  onVisibleRange,
  onOpen,
  emptyText,
  height = '100%',
}: {
  count: number;
  itemAt(index: number): GridItem | undefined;
  onVisibleRange?(start: number, end: number): void;
  onOpen?(id: number): void;
  emptyText?: string;
  height?: string;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [columns, setColumns] = useState(4);
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const observer = new ResizeObserver(() => {
      setColumns(Math.max(1, Math.floor((element.clientWidth - GAP) / (CELL + GAP))));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const rows = Math.ceil(count / columns);
  const virtualizer = useVirtualizer({
    count: rows,
    getScrollElement: () => scroller.current,
    estimateSize: () => CELL + 28 + GAP,
    overscan: 4,
  });
  const virtualRows = virtualizer.getVirtualItems();
  const first = virtualRows[0]?.index ?? 0;
  const last = virtualRows.at(-1)?.index ?? 0;
  useEffect(() => {
    if (rows > 0) onVisibleRange?.(first * columns, Math.min(count, (last + 1) * columns));
  }, [first, last, columns, count, rows, onVisibleRange]);

  if (count === 0 && emptyText) return <div className="empty">{emptyText}</div>;
  return (
    <div ref={scroller} className="thumbnail-grid" style={{ height }} data-count={count}>
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualRows.map((row) => (
          <div
            key={row.key}
            className="grid-row"
            style={{
              transform: `translateY(${row.start}px)`,
              gridTemplateColumns: `repeat(${columns}, ${CELL}px)`,
            }}
          >
            {Array.from({ length: columns }, (_, column) => {
              const index = row.index * columns + column;
              if (index >= count) return null;
              const item = itemAt(index);
              return item ? (
                <button
                  type="button"
                  key={item.id}
                  className="thumb"
                  title={item.label}
                  data-image-id={item.id}
                  onClick={() => onOpen?.(item.id)}
                >
                  <img
                    src={bridge.mediaUrl('thumbnail', item.id)}
                    alt={item.label}
                    loading="lazy"
                    decoding="async"
                    onError={hideBrokenImage}
                  />
                  <span className="thumb-label">{item.note ?? item.label}</span>
                </button>
              ) : (
                <div key={`placeholder-${index}`} className="thumb placeholder" />
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}

/** A photo without a thumbnail (unreadable, or gone since) shows the empty tile, not a broken-image icon. */
export function hideBrokenImage(event: { currentTarget: HTMLImageElement }): void {
  event.currentTarget.style.visibility = 'hidden';
}
