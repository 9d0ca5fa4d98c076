import { useState } from 'react';
import { Button, Checkbox, CheckboxGroup, Dialog, DialogTrigger, Heading, Label, Popover } from 'react-aria-components';

interface ColumnChoiceProps {
  /** Every column there is, in the order the grid shows them. */
  available: string[];
  chosen: string[];
  onChoose(columns: string[]): void;
}

/** A popover of checkboxes choosing the grid's columns; "Show" applies the choice (at least one). */
export function ColumnChoice({ available, chosen, onChoose }: ColumnChoiceProps) {
  const [picked, setPicked] = useState<string[]>(chosen);
  return (
    <DialogTrigger onOpenChange={(open) => open && setPicked(chosen)}>
      <Button className="react-aria-Button quiet">Columns</Button>
      <Popover className="react-aria-Popover grid-popover" placement="bottom end">
        <Dialog>
          {({ close }) => (
            <>
              <Heading slot="title" className="grid-popover-title">
                Columns
              </Heading>
              <CheckboxGroup value={picked} onChange={setPicked} className="grid-column-list">
                <Label className="visually-hidden">Columns shown</Label>
                {available.map((name) => (
                  <Checkbox key={name} value={name}>
                    <span className="box" aria-hidden="true" />
                    {name}
                  </Checkbox>
                ))}
              </CheckboxGroup>
              <div className="actions">
                <Button className="react-aria-Button quiet" onPress={close}>
                  Cancel
                </Button>
                <Button
                  isDisabled={picked.length === 0}
                  onPress={() => {
                    onChoose(available.filter((name) => picked.includes(name)));
                    close();
                  }}
                >
                  Show
                </Button>
              </div>
            </>
          )}
        </Dialog>
      </Popover>
    </DialogTrigger>
  );
}
