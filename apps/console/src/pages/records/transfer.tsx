import { type ImportResult, ProblemError } from '@backlot/client';
import { useId, useState } from 'react';
import { Button, Dialog, DialogTrigger, Heading, Label, Modal, Radio, RadioGroup } from 'react-aria-components';
import { client, describe } from '../../api';
import { Problem } from '../../ui/status';
import './transfer.css';

type Format = 'ndjson' | 'csv';

interface TransferProps {
  collection: string;
  /** After an import wrote records: the list shown beside these buttons may reload. */
  onImported(): void;
}

/** Export a collection's records (NDJSON or CSV, as a download) and import a file of records. */
export function TransferButtons({ collection, onImported }: TransferProps) {
  return (
    <div className="transfer" role="group" aria-label={`Import and export ${collection}`}>
      <ExportButton collection={collection} format="ndjson" />
      <ExportButton collection={collection} format="csv" />
      <ImportButton collection={collection} onImported={onImported} />
    </div>
  );
}

function ExportButton({ collection, format }: { collection: string; format: Format }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const download = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const blob = await client.collection(collection).export({ format });
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `${collection}.${format}`;
      link.click();
      // The download has its own copy once started; the object URL is no longer needed.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      setProblem(`Export failed: ${describe(error)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button className="react-aria-Button quiet" isDisabled={busy} onPress={() => void download()}>
        Export {format === 'csv' ? 'CSV' : 'NDJSON'}
      </Button>
      <Problem text={problem} />
    </>
  );
}

interface Outcome {
  result?: ImportResult;
  problem?: string;
  /** The lines an atomic import refused, as the 422 listed them. */
  refused?: { path: string; message: string }[];
}

function ImportButton({ collection, onImported }: TransferProps) {
  const fileId = useId();
  const [file, setFile] = useState<File | null>(null);
  const [mode, setMode] = useState<'atomic' | 'skip'>('atomic');
  const [ids, setIds] = useState<'new' | 'keep'>('new');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>({});

  const run = async () => {
    if (!file) return setOutcome({ problem: 'Choose a file first.' });
    setBusy(true);
    setOutcome({});
    try {
      const format = /\.csv$/i.test(file.name) || file.type.startsWith('text/csv') ? 'csv' : 'ndjson';
      const result = await client.collection(collection).import(file, { mode, ids, format });
      setOutcome({ result });
      if (result.imported > 0) onImported();
    } catch (error) {
      setOutcome({ problem: describeRefusal(error), refused: error instanceof ProblemError ? error.errors : undefined });
    } finally {
      setBusy(false);
    }
  };

  return (
    <DialogTrigger onOpenChange={(open) => open && (setFile(null), setOutcome({}))}>
      <Button className="react-aria-Button quiet">Import…</Button>
      <Modal className="react-aria-Modal">
        <Dialog className="react-aria-Dialog transfer-dialog">
          {({ close }) => (
            <>
              <Heading slot="title">Import records into {collection}</Heading>
              <p className="muted">An NDJSON file (one JSON record per line, as an export writes it) or a CSV file with a header row.</p>
              <div className="file-pick">
                <label htmlFor={fileId}>File to import</label>
                <input
                  id={fileId}
                  type="file"
                  accept=".ndjson,.jsonl,.json,.csv,application/x-ndjson,text/csv"
                  onChange={(event) => setFile(event.target.files?.[0] ?? null)}
                />
              </div>
              <RadioGroup value={mode} onChange={(value) => setMode(value as 'atomic' | 'skip')} className="choices">
                <Label>When a line is wrong</Label>
                <Radio value="atomic">import nothing (all or nothing)</Radio>
                <Radio value="skip">import the other lines and list the wrong ones</Radio>
              </RadioGroup>
              <RadioGroup value={ids} onChange={(value) => setIds(value as 'new' | 'keep')} className="choices">
                <Label>Record ids</Label>
                <Radio value="new">new ids (a copy of each record)</Radio>
                <Radio value="keep">keep the file&apos;s ids (replaces those records)</Radio>
              </RadioGroup>
              <Result outcome={outcome} />
              <div className="actions">
                <Button className="react-aria-Button quiet" onPress={close}>
                  Close
                </Button>
                <Button isDisabled={busy} onPress={() => void run()}>
                  Import
                </Button>
              </div>
            </>
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}

function Result({ outcome }: { outcome: Outcome }) {
  const { result, problem, refused } = outcome;
  const lines = result?.errors.flatMap(({ line, errors }) =>
    errors.map((error) => ({ path: `line ${line}.${error.path}`, message: error.message })),
  );
  const listed = refused ?? lines ?? [];
  return (
    <div aria-live="polite">
      <Problem text={problem} />
      {result && (
        <p className="import-result">
          Imported {result.imported} record{result.imported === 1 ? '' : 's'}
          {result.replaced > 0 ? ` (${result.replaced} replaced)` : ''}; {result.failed} line{result.failed === 1 ? '' : 's'} failed.
        </p>
      )}
      {listed.length > 0 && (
        <ul className="import-errors" aria-label="Lines not imported">
          {listed.map((error, index) => (
            <li key={index}>
              <code>{error.path.replace(/\.$/, '')}</code>: {error.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function describeRefusal(error: unknown): string {
  if (error instanceof ProblemError) return `Import refused: ${error.detail}`;
  return `Import failed: ${describe(error)}`;
}
