/** A load under way, announced to screen readers. */
export function Loading({ what }: { what: string }) {
  return <p aria-live="polite">Loading {what}…</p>;
}

/** A refusal or failure, in words, announced when it appears. */
export function Problem({ text, id }: { text?: string | null; id?: string }) {
  if (!text) return null;
  return (
    <p role="alert" id={id} className="problem">
      {text}
    </p>
  );
}
