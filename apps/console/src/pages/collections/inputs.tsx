import type { ReactNode } from 'react';
import { Checkbox, FieldError, Input, Label, Text, TextArea, TextField } from 'react-aria-components';

/** A labelled text input with the server's message for it. */
export function TextInput(props: {
  label: string;
  value: string;
  onChange(value: string): void;
  problem?: string;
  hint?: ReactNode;
  multiline?: boolean;
  autoFocus?: boolean;
  isRequired?: boolean;
}) {
  return (
    <TextField
      value={props.value}
      onChange={props.onChange}
      isInvalid={props.problem !== undefined}
      autoFocus={props.autoFocus}
      isRequired={props.isRequired}
      className="react-aria-TextField"
    >
      <Label>{props.label}</Label>
      {props.multiline ? <TextArea rows={3} /> : <Input />}
      {props.hint && <Text slot="description">{props.hint}</Text>}
      <FieldError>{props.problem}</FieldError>
    </TextField>
  );
}

/** A checkbox; its problem (from the server) is said next to it and announced. */
export function Flag(props: { label: string; isSelected: boolean; onChange(value: boolean): void; problem?: string }) {
  return (
    <div className="flag">
      <Checkbox isSelected={props.isSelected} onChange={props.onChange} isInvalid={props.problem !== undefined}>
        <span className="box" aria-hidden="true" />
        {props.label}
      </Checkbox>
      {props.problem && (
        <span className="problem" role="alert">
          {props.problem}
        </span>
      )}
    </div>
  );
}
