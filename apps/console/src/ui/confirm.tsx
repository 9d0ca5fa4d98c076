import { type ReactNode, useState } from 'react';
import { Button, Dialog, DialogTrigger, Heading, Input, Label, Modal, TextField } from 'react-aria-components';
import { describe } from '../api';
import { Problem } from './status';

interface ConfirmProps {
  /** The button that opens the dialog. */
  label: string;
  title: string;
  children?: ReactNode;
  /** When set, the operator types this (a backup's name, say) before the action is allowed. */
  typeToConfirm?: string;
  /** The confirming button's words; the label by default. */
  action?: string;
  onConfirm(): Promise<unknown>;
}

/**
 * A button for a destructive or far-reaching action: it opens a modal dialog that says what
 * will happen and runs the action only when confirmed. A refusal stays in the dialog.
 */
export function ConfirmButton({ label, title, children, typeToConfirm, action, onConfirm }: ConfirmProps) {
  const [typed, setTyped] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <DialogTrigger onOpenChange={() => (setTyped(''), setProblem(null))}>
      <Button className="react-aria-Button quiet">{label}</Button>
      <Modal className="react-aria-Modal">
        <Dialog role="alertdialog">
          {({ close }) => (
            <>
              <Heading slot="title">{title}</Heading>
              {children}
              {typeToConfirm !== undefined && (
                <TextField value={typed} onChange={setTyped} autoFocus>
                  <Label>
                    Type <code>{typeToConfirm}</code> to confirm
                  </Label>
                  <Input />
                </TextField>
              )}
              <Problem text={problem} />
              <div className="actions">
                <Button className="react-aria-Button quiet" onPress={close}>
                  Cancel
                </Button>
                <Button
                  isDisabled={busy || (typeToConfirm !== undefined && typed !== typeToConfirm)}
                  onPress={() => {
                    setBusy(true);
                    onConfirm()
                      .then(close, (error: unknown) => setProblem(describe(error)))
                      .finally(() => setBusy(false));
                  }}
                >
                  {action ?? label}
                </Button>
              </div>
            </>
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}
