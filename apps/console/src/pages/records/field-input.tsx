import {
  Button,
  Checkbox,
  CheckboxGroup,
  FieldError,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  NumberField,
  Popover,
  Select,
  SelectValue,
  Text,
  TextArea,
  TextField,
} from 'react-aria-components';
import { FileInput } from './field-input-file';
import { RelationInput } from './field-input-relation';
import { FieldLabel, type FieldInputProps } from './field-input-label';
import { type Field, type FileDraft, jsonProblem } from './record-form-values';
import './field-input.css';

const NONE = '\u0000none';
const TEXT_TYPES: Record<string, string> = { email: 'email', url: 'url' };

/** One labelled control for a field, chosen by its type. */
export function FieldInput(props: FieldInputProps) {
  const { field, value, onChange, error } = props;
  const common = { name: field.name, isRequired: field.required === true, isInvalid: error !== undefined };
  const fieldError = <FieldError className="react-aria-FieldError field-problem">{error}</FieldError>;
  switch (field.type) {
    case 'number':
    case 'integer':
      return (
        <NumberField
          {...common}
          className="react-aria-TextField"
          value={typeof value === 'number' ? value : NaN}
          onChange={onChange}
          formatOptions={{ useGrouping: false, maximumFractionDigits: field.type === 'integer' ? 0 : 20 }}
        >
          <Label>
            <FieldLabel field={field} />
          </Label>
          <Input />
          <Text slot="description">{field.type}</Text>
          {fieldError}
        </NumberField>
      );
    case 'boolean':
      return (
        <div className="field">
          <Checkbox
            {...common}
            isSelected={value === true}
            onChange={onChange}
            aria-describedby={error ? `${field.name}-problem` : undefined}
          >
            {({ isSelected }) => (
              <>
                <span className="check" aria-hidden="true">
                  {isSelected ? '✓' : ''}
                </span>
                <FieldLabel field={field} />
              </>
            )}
          </Checkbox>
          {error && (
            <p className="field-problem" id={`${field.name}-problem`}>
              {error}
            </p>
          )}
        </div>
      );
    case 'select':
      return field.multiple ? (
        <CheckboxGroup {...common} value={Array.isArray(value) ? value : []} onChange={onChange} className="field choices">
          <Label>
            <FieldLabel field={field} />
          </Label>
          {(field.values ?? []).map((choice) => (
            <Checkbox key={choice} value={choice}>
              {({ isSelected }) => (
                <>
                  <span className="check" aria-hidden="true">
                    {isSelected ? '✓' : ''}
                  </span>
                  {choice}
                </>
              )}
            </Checkbox>
          ))}
          {fieldError}
        </CheckboxGroup>
      ) : (
        <Select
          {...common}
          className="field react-aria-Select"
          value={typeof value === 'string' ? value : NONE}
          onChange={(key) => onChange(key === NONE || key === null ? null : String(key))}
        >
          <Label>
            <FieldLabel field={field} />
          </Label>
          <Button className="react-aria-Button picker">
            <SelectValue />
            <span aria-hidden="true">▾</span>
          </Button>
          {fieldError}
          <Popover className="react-aria-Popover record-popover">
            <ListBox>
              <ListBoxItem id={NONE} textValue="(none)">
                (none)
              </ListBoxItem>
              {(field.values ?? []).map((choice) => (
                <ListBoxItem key={choice} id={choice} textValue={choice}>
                  {choice}
                </ListBoxItem>
              ))}
            </ListBox>
          </Popover>
        </Select>
      );
    case 'json':
      return <JsonInput {...props} />;
    case 'relation':
      return <RelationInput {...props} />;
    case 'file':
      return <FileInput field={field} value={value as FileDraft} onChange={onChange} error={error} />;
    default:
      return (
        <TextField {...common} value={String(value ?? '')} onChange={onChange} className="react-aria-TextField field">
          <Label>
            <FieldLabel field={field} />
          </Label>
          <Input
            type={field.type === 'datetime' ? 'datetime-local' : (TEXT_TYPES[field.type] ?? 'text')}
            step={field.type === 'datetime' ? 1 : undefined}
          />
          {field.type !== 'text' && <Text slot="description">{describeType(field)}</Text>}
          {fieldError}
        </TextField>
      );
  }
}

function describeType(field: Field): string {
  if (field.type === 'datetime') return 'date and time, in your time zone';
  if (field.type === 'user') return 'a user id';
  if (field.type === 'url') return 'an http:// or https:// address';
  return field.type;
}

/** A JSON editor that says where the text is not JSON while it is typed; the form refuses to send it so. */
function JsonInput({ field, value, onChange, error }: FieldInputProps) {
  const text = String(value ?? '');
  const problem = text.trim() ? jsonProblem(text) : null;
  const shown = error ?? problem ?? undefined;
  return (
    <TextField
      name={field.name}
      isRequired={field.required === true}
      isInvalid={shown !== undefined}
      value={text}
      onChange={onChange}
      className="react-aria-TextField field"
    >
      <Label>
        <FieldLabel field={field} />
      </Label>
      <TextArea className="react-aria-TextArea json" rows={5} spellCheck={false} />
      <Text slot="description">JSON</Text>
      <FieldError className="react-aria-FieldError field-problem">{shown}</FieldError>
    </TextField>
  );
}
