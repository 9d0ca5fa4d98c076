import { useState } from 'react';
import { Button, Form } from 'react-aria-components';
import { send } from '../../api';
import { Problem } from '../../ui/status';
import { RuleInput, ruleDraft, type RuleDraft, ruleOf } from './rule-input';
import { RulePreview } from './rule-preview';
import { type CollectionInfo, type Refusal, refusalOf, RULE_ACTIONS, type RuleAction } from './schema';

interface RulesPageProps {
  collection: CollectionInfo;
  onSaved(collection: CollectionInfo): void;
  onBack(): void;
}

/** `/_/collections/<name>/rules`: the five rules in their three states, saved together, and a preview of the list rule. */
export function RulesPage({ collection, onSaved, onBack }: RulesPageProps) {
  const [drafts, setDrafts] = useState(() => draftsOf(collection));
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [listProblem, setListProblem] = useState<{ message: string; position?: number } | null>(null);
  const [saved, setSaved] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const rules = Object.fromEntries(RULE_ACTIONS.map((action) => [action, ruleOf(drafts[action])]));
  const incomplete = RULE_ACTIONS.some((action) => rules[action] === undefined);

  const change = (action: RuleAction) => (draft: RuleDraft) => {
    setDrafts((now) => ({ ...now, [action]: draft }));
    setSaved(null);
    if (action === 'list') setListProblem(null);
  };

  const save = async () => {
    setBusy(true);
    setRefusal(null);
    setListProblem(null);
    try {
      const updated = await send<CollectionInfo>('PATCH', `/collections/${encodeURIComponent(collection.name)}`, {
        rules,
        version: collection.version,
      });
      setSaved(updated.version);
      onSaved(updated);
    } catch (error) {
      setRefusal(refusalOf(error));
    } finally {
      setBusy(false);
    }
  };

  const unplaced = refusal && Object.keys(refusal.byPath).filter((path) => !path.startsWith('rules.'));
  return (
    <section aria-labelledby="rules-title" className="schema">
      <p>
        <a href={`/_/collections/${encodeURIComponent(collection.name)}`} onClick={(event) => (event.preventDefault(), onBack())}>
          ← {collection.name}
        </a>
      </p>
      <h1 id="rules-title">Rules of {collection.name}</h1>
      <p className="hint">
        Rules are conditions in the filter language (<code>owner = @me || public = true</code>). Admins are never restricted.
      </p>
      <div className="rules-layout">
        <Form
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
          validationBehavior="aria"
          className="react-aria-Form rules-form"
        >
          {RULE_ACTIONS.map((action) => (
            <RuleInput
              key={action}
              action={action}
              draft={drafts[action]}
              onChange={change(action)}
              problem={refusal?.byPath[`rules.${action}`] ?? (action === 'list' ? listProblem?.message : undefined)}
              position={refusal?.positions[`rules.${action}`] ?? (action === 'list' ? listProblem?.position : undefined)}
            />
          ))}
          {refusal && <Problem text={[refusal.text, ...unplaced!.map((path) => `${path}: ${refusal.byPath[path]}`)].join(' ')} />}
          {saved !== null && <p role="status">Rules saved (version {saved}).</p>}
          <div className="actions start">
            <Button type="submit" isDisabled={busy || incomplete}>
              Save rules
            </Button>
          </div>
        </Form>
        <RulePreview collection={collection} rule={rules.list} onRuleProblem={setListProblem} />
      </div>
    </section>
  );
}

function draftsOf(collection: CollectionInfo): Record<RuleAction, RuleDraft> {
  return Object.fromEntries(RULE_ACTIONS.map((action) => [action, ruleDraft(collection.rules?.[action])])) as Record<RuleAction, RuleDraft>;
}
