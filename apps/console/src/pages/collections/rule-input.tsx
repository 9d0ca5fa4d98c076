import { FieldError, Label, Radio, RadioGroup, TextArea, TextField } from 'react-aria-components';
import type { RuleAction } from './schema';

/** A rule as the editor holds it: which of the three states, and the condition's text (kept while another state is picked). */
export interface RuleDraft {
  mode: 'admins' | 'anyone' | 'condition';
  text: string;
}

export function ruleDraft(rule: string | null | undefined): RuleDraft {
  if (rule === null || rule === undefined) return { mode: 'admins', text: '' };
  return rule.trim() === '' ? { mode: 'anyone', text: '' } : { mode: 'condition', text: rule };
}

/** The rule to send; undefined when a condition is chosen but not written (an empty rule would mean anyone). */
export function ruleOf(draft: RuleDraft): string | null | undefined {
  if (draft.mode === 'admins') return null;
  if (draft.mode === 'anyone') return '';
  return draft.text.trim() === '' ? undefined : draft.text;
}

const WHO: Record<RuleAction, string> = {
  list: 'Who may list records',
  view: 'Who may view a record',
  create: 'Who may create records',
  update: 'Who may change a record',
  delete: 'Who may delete a record',
};

interface RuleInputProps {
  action: RuleAction;
  draft: RuleDraft;
  onChange(draft: RuleDraft): void;
  /** The server's (or the form's) message for this rule. */
  problem?: string;
  /** Where in the condition the server found the error (0-based). */
  position?: number;
}

/** One action's rule in its three explicit states: admins only (null), anyone (""), or a condition. */
export function RuleInput({ action, draft, onChange, problem, position }: RuleInputProps) {
  const empty = draft.mode === 'condition' && draft.text.trim() === '';
  const message = problem ?? (empty ? 'Write a condition, or choose another option.' : undefined);
  return (
    <div className="rule-input">
      <RadioGroup value={draft.mode} onChange={(mode) => onChange({ ...draft, mode: mode as RuleDraft['mode'] })} orientation="horizontal">
        <Label>
          <code>{action}</code> — {WHO[action]}
        </Label>
        <div className="choices">
          <Radio value="admins">Admins only (null)</Radio>
          <Radio value="anyone">Anyone, even signed out (&quot;&quot;)</Radio>
          <Radio value="condition">Who matches a condition</Radio>
        </div>
      </RadioGroup>
      {draft.mode === 'condition' && (
        <TextField value={draft.text} onChange={(text) => onChange({ ...draft, text })} isInvalid={message !== undefined}>
          <Label>{action} condition</Label>
          <TextArea rows={1} spellCheck={false} placeholder="owner = @me" />
          <FieldError>{message}</FieldError>
        </TextField>
      )}
      {message !== undefined && position !== undefined && <ErrorAt text={draft.text} position={position} />}
    </div>
  );
}

/** The condition with the character the server stopped at marked, and its column. */
export function ErrorAt({ text, position }: { text: string; position: number }) {
  const at = Math.min(Math.max(position, 0), text.length);
  return (
    <p className="error-at">
      <span>Column {at + 1}: </span>
      <code>
        {text.slice(0, at)}
        <mark>{text.slice(at, at + 1) || ' '}</mark>
        {text.slice(at + 1)}
      </code>
    </p>
  );
}
