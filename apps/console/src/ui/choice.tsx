import { Button, FieldError, Label, ListBox, ListBoxItem, Popover, Select, SelectValue } from 'react-aria-components';

/** A choice among a few values (a select: a button opening a list). */
export function Choice<T extends string>(props: {
  label: string;
  value: T | null;
  options: readonly T[] | readonly { id: T; label: string }[];
  onChange(value: T): void;
  problem?: string;
  isDisabled?: boolean;
}) {
  const options = props.options.map((option) => (typeof option === 'string' ? { id: option, label: option } : option));
  return (
    <Select
      selectedKey={props.value}
      onSelectionChange={(key) => key !== null && props.onChange(key as T)}
      isInvalid={props.problem !== undefined}
      isDisabled={props.isDisabled}
      className="react-aria-Select choice"
    >
      <Label>{props.label}</Label>
      <Button className="react-aria-Button select-button">
        <SelectValue />
        <span aria-hidden="true">▾</span>
      </Button>
      <FieldError>{props.problem}</FieldError>
      <Popover>
        <ListBox items={options}>{(option) => <ListBoxItem id={option.id}>{option.label}</ListBoxItem>}</ListBox>
      </Popover>
    </Select>
  );
}
