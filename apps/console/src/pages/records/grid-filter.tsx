import { useEffect, useRef, useState } from 'react';
import { Button, FieldError, Input, Label, SearchField, Text } from 'react-aria-components';

/** Where the server found a filter wrong: its words and the 0-based character position. */
export interface FilterProblem {
  message: string;
  position?: number;
}

interface FilterBoxProps {
  /** The filter applied now (from the address). */
  applied: string;
  problem?: FilterProblem;
  onApply(filter: string): void;
}

/**
 * The filter-language search box. Enter or "Apply" sends the expression to the server, which
 * judges it; a refusal is shown under the box with the spot it names marked in the expression.
 */
export function FilterBox({ applied, problem, onApply }: FilterBoxProps) {
  const [typed, setTyped] = useState(applied);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => setTyped(applied), [applied]);
  // The caret goes where the server says the expression went wrong, for the operator to fix it there.
  useEffect(() => {
    const field = input.current;
    if (problem?.position === undefined || !field || document.activeElement !== field) return;
    field.setSelectionRange(problem.position, Math.min(problem.position + 1, field.value.length));
  }, [problem]);

  return (
    <div className="grid-filter">
      <SearchField
        value={typed}
        onChange={setTyped}
        onSubmit={() => onApply(typed)}
        onClear={() => onApply('')}
        isInvalid={problem !== undefined}
        className="react-aria-SearchField grid-filter-field"
      >
        <Label>Filter</Label>
        <Input ref={input} placeholder="status = 'open' && amount > 100" spellCheck={false} />
        <Text slot="description">
          The filter language: <code>= != &gt; &lt; ~ in</code>, <code>&amp;&amp; ||</code>, <code>&apos;text&apos;</code>. Enter applies
          it.
        </Text>
        <FieldError>{problem && <ProblemAt problem={problem} expression={applied} />}</FieldError>
      </SearchField>
      <Button onPress={() => onApply(typed)}>Apply</Button>
    </div>
  );
}

/** The server's words, and the expression with the character it names marked. */
function ProblemAt({ problem, expression }: { problem: FilterProblem; expression: string }) {
  const at = problem.position;
  return (
    <>
      <span>{problem.message}</span>
      {at !== undefined && at <= expression.length && (
        <code className="grid-filter-where">
          {expression.slice(0, at)}
          <mark>{expression.slice(at, at + 1) || ' '}</mark>
          {expression.slice(at + 1)}
        </code>
      )}
    </>
  );
}
