import { useCallback, useEffect, useRef, useState } from 'react';
import type { TagSuggestion, TagSummary } from '../../core/api.ts';
import { useApp } from '../app-state.tsx';
import { bridge } from '../bridge.ts';
import { formatCount } from '../format.ts';

/** Suggestions fetched per round: the least confident ones, where a person's answer teaches most. */
const BATCH = 50;
/**
 * Answers between two recomputations of the suggestions: each one is a k-NN vote over the whole
 * library (seconds at 100,000 photos), too slow to wait for after every key press.
 */
const ANSWERS_PER_ROUND = 10;

/**
 * The review queue: one suggestion at a time, least confident first. Enter or A accepts; a digit
 * tags the photo with that tag instead (a correction); S or → skips. Each answer is a tag, so the
 * next suggestions already learn from it.
 */
export function ReviewQueue({
  modelId,
  tags,
  revision,
  onChanged,
  onShow,
}: {
  modelId: number;
  tags: TagSummary[];
  revision: number;
  onChanged(): void;
  onShow(imageId: number | null): void;
}) {
  const { run } = useApp();
  const [queue, setQueue] = useState<{ total: number; suggestions: TagSuggestion[] } | null>(null);
  const [skipped, setSkipped] = useState<Set<number>>(new Set());
  /** Answers given since the suggestions were last computed; their own tag changes do not refetch. */
  const answered = useRef(0);
  const ownChange = useRef(false);

  const fetchRound = useCallback(
    () =>
      run(() => bridge.invoke('tags.suggestions', { modelId, limit: BATCH })).then(
        (result) => result && setQueue(result),
      ),
    [modelId, run],
  );

  useEffect(() => {
    void revision;
    if (ownChange.current) {
      ownChange.current = false;
      if (answered.current % ANSWERS_PER_ROUND !== 0) return;
    }
    void fetchRound();
  }, [revision, fetchRound]);

  const current = queue?.suggestions.find((s) => !skipped.has(s.imageId)) ?? null;
  useEffect(() => onShow(current?.imageId ?? null), [current, onShow]);

  const answer = useCallback(
    async (tag: string, source: 'accepted' | 'manual') => {
      if (!current) return;
      const imageId = current.imageId;
      if (await run(() => bridge.invoke('tags.add', { name: tag, imageIds: [imageId], source }))) {
        answered.current++;
        ownChange.current = true;
        // Answered photos leave the queue at once; the rest of the round stays as it was computed.
        setSkipped((previous) => new Set(previous).add(imageId));
        onChanged();
      }
    },
    [current, onChanged, run],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (!current || target?.closest('input, textarea, select')) return;
      if (event.key === 'Enter' || event.key === 'a') {
        event.preventDefault();
        void answer(current.tag, 'accepted');
      } else if (event.key === 's' || event.key === 'ArrowRight') {
        setSkipped((previous) => new Set(previous).add(current.imageId));
      } else if (/^[1-9]$/.test(event.key) && tags[Number(event.key) - 1]) {
        void answer(tags[Number(event.key) - 1].name, 'manual');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [answer, current, tags]);

  if (!queue) return null;
  if (!current)
    return (
      <section className="review" aria-label="Review suggestions">
        <h2>Review</h2>
        <p className="muted">
          {tags.length === 0
            ? 'Tag a few photos: suggestions for the rest appear here.'
            : queue.total > queue.suggestions.length
              ? 'This round is done.'
              : 'Nothing left to review.'}
        </p>
        {queue.total > queue.suggestions.length && (
          <button type="button" onClick={() => void fetchRound()}>
            Next suggestions
          </button>
        )}
      </section>
    );
  return (
    <section className="review" aria-label="Review suggestions" data-image-id={current.imageId}>
      <h2>
        Review <span className="pill">{formatCount(queue.total)} suggestions</span>
      </h2>
      <img className="review-photo" src={bridge.mediaUrl('thumbnail', current.imageId)} alt="" />
      <p className="review-suggestion">
        <strong data-testid="suggested-tag">{current.tag}</strong>{' '}
        <span className="muted">{Math.round(current.confidence * 100)} % sure</span>
        {current.runnerUp && <span className="muted"> · else {current.runnerUp}</span>}
      </p>
      <div className="button-row">
        <button type="button" className="primary" onClick={() => void answer(current.tag, 'accepted')}>
          Accept (Enter)
        </button>
        <button
          type="button"
          onClick={() => setSkipped((previous) => new Set(previous).add(current.imageId))}
        >
          Skip (S)
        </button>
      </div>
      <fieldset className="chips">
        <legend className="visually-hidden">Correct to</legend>
        {tags.slice(0, 9).map((tag, i) => (
          <button type="button" key={tag.id} className="chip" onClick={() => void answer(tag.name, 'manual')}>
            {i + 1} {tag.name}
          </button>
        ))}
      </fieldset>
    </section>
  );
}
